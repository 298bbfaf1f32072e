/** The operators' provisioning statements (`tsunagi-ops`): a contract with its first admin, and a user added to it. */
import { eq } from "drizzle-orm";
import type { Database } from "../client.js";
import {
  type AdminAccount,
  adminAccounts,
  type Contract,
  contracts,
  type NewContract,
  type NewUser,
  type User,
  users,
} from "../schema/index.js";

/** Creates a contract and its admin account in one transaction: neither exists without the other. */
export async function insertContractWithAdmin(
  db: Database,
  contract: NewContract,
  admin: Omit<typeof adminAccounts.$inferInsert, "contractId">,
): Promise<{ contract: Contract; admin: AdminAccount }> {
  return db.transaction(async (tx) => {
    const [created] = await tx.insert(contracts).values(contract).returning();
    if (!created) throw new Error("contract not inserted");
    const [account] = await tx
      .insert(adminAccounts)
      .values({ ...admin, contractId: created.id })
      .returning();
    if (!account) throw new Error("admin account not inserted");
    return { contract: created, admin: account };
  });
}

/** A contract by its code (the contract ID on the account sheet); undefined when there is none. */
export async function contractByCode(db: Database, contractCode: string): Promise<Contract | undefined> {
  const [contract] = await db.select().from(contracts).where(eq(contracts.contractCode, contractCode));
  return contract;
}

/** Inserts one user; the row as stored. */
export async function insertUser(db: Database, user: NewUser): Promise<User | undefined> {
  const [inserted] = await db.insert(users).values(user).returning();
  return inserted;
}
