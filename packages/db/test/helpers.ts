/** Minimal rows for the db package's own tests (fixtures depends on db, so it cannot be used here). */
import { randomBytes } from "node:crypto";
import type { Database } from "../src/client.js";
import { contracts, users } from "../src/schema/index.js";

export async function makeContract(db: Database, serverHost = `srv${randomBytes(3).toString("hex")}`) {
  const [contract] = await db
    .insert(contracts)
    .values({ contractCode: randomBytes(4).toString("hex"), name: "Test", model: "legacy", serverHost })
    .returning();
  if (!contract) throw new Error("no contract");
  return contract;
}

export async function makeUser(db: Database, contract: { id: string; serverHost: string }, userName: string) {
  const [user] = await db
    .insert(users)
    .values({
      contractId: contract.id,
      serverHost: contract.serverHost,
      userName,
      passwordHash: "$argon2id$not-a-real-hash",
      viewerProduct: "terminal-ndl-s",
    })
    .returning();
  if (!user) throw new Error("no user");
  return user;
}
