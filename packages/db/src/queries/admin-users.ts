/** The admin API's reads of users: one page of a contract's users, a user by name, a user's devices. */
import { and, asc, eq, gt, ilike, inArray, or, type SQL } from "drizzle-orm";
import type { Database } from "../client.js";
import { type DeviceRegistration, deviceRegistrations, type User, users } from "../schema/index.js";

/**
 * One page of a contract's users by user name, after `afterName`: `q` searches the user name and
 * memo (its `%`, `_` and `\` match themselves). `more` tells whether another page follows.
 */
export async function usersPage(
  db: Database,
  contractId: string,
  options: { q?: string; afterName?: string; limit: number },
): Promise<{ users: User[]; more: boolean }> {
  const { q, afterName, limit } = options;
  const where: SQL[] = [eq(users.contractId, contractId)];
  if (q) {
    const pattern = `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    where.push(or(ilike(users.userName, pattern), ilike(users.memo, pattern)) as SQL);
  }
  if (afterName !== undefined) where.push(gt(users.userName, afterName));
  const rows = await db
    .select()
    .from(users)
    .where(and(...where))
    .orderBy(asc(users.userName))
    .limit(limit + 1);
  const more = rows.length > limit;
  if (more) rows.pop();
  return { users: rows, more };
}

/** The user of `contractId` named `userName`; undefined when the contract has none. */
export async function userByName(
  db: Database,
  contractId: string,
  userName: string,
): Promise<User | undefined> {
  const [user] = await db
    .select()
    .from(users)
    .where(and(eq(users.contractId, contractId), eq(users.userName, userName)));
  return user;
}

/** The users of `contractId` among `userNames`; names of other contracts are simply not found. */
export function usersByName(db: Database, contractId: string, userNames: string[]): Promise<User[]> {
  return db
    .select()
    .from(users)
    .where(and(eq(users.contractId, contractId), inArray(users.userName, userNames)));
}

/** A user as it is now, by id (inside a change's transaction, the row after the change). */
export async function userById(db: Database, userId: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  return user;
}

/** The devices registered in a user's slots. */
export function registrationsOf(db: Database, userId: string): Promise<DeviceRegistration[]> {
  return db.select().from(deviceRegistrations).where(eq(deviceRegistrations.userId, userId));
}
