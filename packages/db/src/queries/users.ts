/** Looking up, updating and initialising users, as the relay and the admin API need them. */
import type { SlotKind } from "@tsunagi/core/domain";
import type { DeviceIdentity } from "@tsunagi/core/rules";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../client.js";
import {
  contracts,
  deviceRegistrations,
  groupLinks,
  type NewUser,
  type User,
  users,
} from "../schema/index.js";

/** Everything the relay needs to decide an attempt by one user, read in one round of queries. */
export async function findUserForAttempt(db: Database, serverHost: string, userName: string) {
  const [row] = await db
    .select({ user: users, contract: contracts })
    .from(users)
    .innerJoin(contracts, eq(contracts.id, users.contractId))
    .where(and(eq(users.serverHost, serverHost), eq(users.userName, userName)))
    .limit(1);
  if (!row) return null;
  const [registrations, links] = await Promise.all([
    db.select().from(deviceRegistrations).where(eq(deviceRegistrations.userId, row.user.id)),
    db
      .select({ clientUserName: users.userName })
      .from(groupLinks)
      .innerJoin(users, eq(users.id, groupLinks.clientUserId))
      .where(eq(groupLinks.viewerUserId, row.user.id)),
  ]);
  return {
    ...row,
    registrations,
    linkedClients: links.map((l) => l.clientUserName),
  };
}
export type UserForAttempt = NonNullable<Awaited<ReturnType<typeof findUserForAttempt>>>;

/** The fields an admin may change; user name, server and contract are fixed. */
export type UserPatch = Partial<
  Omit<NewUser, "id" | "contractId" | "serverHost" | "userName" | "version" | "createdAt" | "updatedAt">
>;

export type UpdateUserResult =
  | { ok: true; before: User; after: User }
  | { ok: false; error: "not-found" | "version-conflict"; current?: User };

/**
 * Applies `patch` to one user of `contractId` if its version is still `expectedVersion`, in the
 * caller's transaction when given one. The version check makes a second admin's stale edit fail
 * instead of overwriting the first.
 */
export async function updateUser(
  db: Database,
  contractId: string,
  userId: string,
  expectedVersion: number,
  patch: UserPatch,
): Promise<UpdateUserResult> {
  const [before] = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), eq(users.contractId, contractId)))
    .for("update");
  if (!before) return { ok: false, error: "not-found" };
  if (before.version !== expectedVersion) return { ok: false, error: "version-conflict", current: before };
  const [after] = await db
    .update(users)
    .set({ ...patch, version: sql`${users.version} + 1`, updatedAt: sql`now()` })
    .where(eq(users.id, userId))
    .returning();
  if (!after) return { ok: false, error: "not-found" };
  return { ok: true, before, after };
}

/**
 * Initialises a user's slot: its registered devices are forgotten, so the next login of a
 * terminal-auth or mobile viewer registers afresh; the slot then reads "Unregistered (was initialised)".
 */
export async function initialiseSlot(db: Database, userId: string, slot: SlotKind): Promise<number> {
  const removed = await db
    .delete(deviceRegistrations)
    .where(and(eq(deviceRegistrations.userId, userId), eq(deviceRegistrations.slot, slot)))
    .returning({ id: deviceRegistrations.id });
  await db
    .update(users)
    .set(slot === "pc" ? { pcSlotInitialisedAt: sql`now()` } : { mobileSlotInitialisedAt: sql`now()` })
    .where(eq(users.id, userId));
  return removed.length;
}

/**
 * Registers a device into a slot if a place is free: one place in a legacy slot; `limit` places in
 * a neo account, counted across its PC and mobile slots together (`across: "user"`). Returns the
 * registration, or null when every place was taken first, by a racing login too: the user's row is
 * locked while places are counted, so two first logins, even into different slots, can't both take
 * the last place.
 */
export async function registerDevice(
  db: Database,
  userId: string,
  slot: SlotKind,
  identity: DeviceIdentity,
  limit = 1,
  across: "slot" | "user" = "slot",
) {
  return db.transaction(async (tx) => {
    await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
    const taken = await tx
      .select({ slot: deviceRegistrations.slot, seq: deviceRegistrations.seq })
      .from(deviceRegistrations)
      .where(eq(deviceRegistrations.userId, userId));
    const counted = across === "user" ? taken : taken.filter((r) => r.slot === slot);
    if (counted.length >= limit) return null;
    const used = new Set(taken.filter((r) => r.slot === slot).map((r) => r.seq));
    let seq = 0;
    while (used.has(seq)) seq++;
    const [registered] = await tx
      .insert(deviceRegistrations)
      .values({ userId, slot, seq, ...identity })
      .returning();
    await tx
      .update(users)
      .set(slot === "pc" ? { pcSlotInitialisedAt: null } : { mobileSlotInitialisedAt: null })
      .where(eq(users.id, userId));
    return registered ?? null;
  });
}

/** Users of a contract by id, for batch management; ids of other contracts are simply not found. */
export function usersOfContract(db: Database, contractId: string, ids: string[]) {
  return db
    .select()
    .from(users)
    .where(and(eq(users.contractId, contractId), inArray(users.id, ids)));
}
