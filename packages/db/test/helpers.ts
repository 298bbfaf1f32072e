/** Minimal rows for the db package's own tests (fixtures depends on db, so it cannot be used here). */
import { randomBytes } from "node:crypto";
import type { Database } from "../src/client.js";
import { type LeaseToOpen, recordSuccessAndOpenSession } from "../src/queries/index.js";
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

/**
 * A login's success as the relay writes it (`recordSuccessAndOpenSession`): the history row and the
 * session lease of `user` in `role`, losing to a live lease with the role's duplicate reason.
 */
export function openLoginSession(
  db: Database,
  contract: { id: string },
  user: { id: string; userName: string },
  role: "viewer" | "client",
  options: { startedAt?: Date; lease?: Partial<LeaseToOpen> } = {},
) {
  const who = { contractId: contract.id, userId: user.id, userName: user.userName, role };
  return recordSuccessAndOpenSession(
    db,
    { ...who, result: "success", startedAt: options.startedAt ?? new Date() },
    { ...who, sourceAddress: null, relayInstance: "r", ...options.lease },
    role === "viewer"
      ? { reasonKey: "duplicate-viewer", reasonCode: 30100 }
      : { reasonKey: "duplicate-client", reasonCode: 30200 },
  );
}
