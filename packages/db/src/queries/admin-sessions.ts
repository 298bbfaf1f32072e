/**
 * Account managers' sessions: opened by a login, found by the bearer token's hash on every request,
 * kept alive by use, ended by logout, expiry, the allow-list or a password change.
 */
import { and, eq, ne } from "drizzle-orm";
import type { Database } from "../client.js";
import { adminAccounts, adminSessions, contracts } from "../schema/index.js";

/** Stores a session a login opened; only the token's hash is kept. */
export async function openAdminSession(
  db: Database,
  session: typeof adminSessions.$inferInsert,
): Promise<void> {
  await db.insert(adminSessions).values(session);
}

/** The session of a token hash, with its admin and contract; undefined when there is none. */
export async function adminSessionByToken(db: Database, tokenHash: string) {
  const [row] = await db
    .select({ session: adminSessions, admin: adminAccounts, contract: contracts })
    .from(adminSessions)
    .innerJoin(adminAccounts, eq(adminAccounts.id, adminSessions.adminId))
    .innerJoin(contracts, eq(contracts.id, adminSessions.contractId))
    .where(eq(adminSessions.tokenHash, tokenHash));
  return row;
}

/** Marks the session used now: its idle timeout counts from here. */
export async function touchAdminSession(db: Database, tokenHash: string, now: Date): Promise<void> {
  await db.update(adminSessions).set({ lastSeenAt: now }).where(eq(adminSessions.tokenHash, tokenHash));
}

/** Ends the session of a token hash (logout, expiry, an address the allow-list no longer includes). */
export async function endAdminSession(db: Database, tokenHash: string): Promise<void> {
  await db.delete(adminSessions).where(eq(adminSessions.tokenHash, tokenHash));
}

/** An admin account by id; undefined when it is gone. */
export async function adminAccountById(db: Database, adminId: string) {
  const [account] = await db.select().from(adminAccounts).where(eq(adminAccounts.id, adminId));
  return account;
}

/**
 * Sets an admin's password (no longer the temporary one) and ends every session of the admin but
 * the one that made the change: a leaked token dies with the old password. Run it in the change's
 * transaction.
 */
export async function changeAdminPassword(
  db: Database,
  adminId: string,
  passwordHash: string,
  keepTokenHash: string,
  now: Date,
): Promise<void> {
  await db
    .update(adminAccounts)
    .set({ passwordHash, temporaryPassword: false, updatedAt: now })
    .where(eq(adminAccounts.id, adminId));
  await db
    .delete(adminSessions)
    .where(and(eq(adminSessions.adminId, adminId), ne(adminSessions.tokenHash, keepTokenHash)));
}
