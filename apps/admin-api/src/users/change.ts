/**
 * Changes to users (個別管理 and 一括管理). Every change runs in a transaction that checks the version
 * the admin read, applies the fields, initialises the slots asked for, asks the relays to end the
 * live sessions the change revokes (see revocation.ts), and writes the audit row; a bad field or a
 * stale version throws, which rolls everything back.
 */
import type { UserChange, UserDetail } from "@tsunagi/api-contract/users";
import {
  advanceAccessEpoch,
  type Database,
  initialiseSlot,
  liveSessionsOf,
  registrationsOf,
  requestSessionEnd,
  type UserPatch,
  updateUser,
  userById,
  userByName,
} from "@tsunagi/db";
import { asDb, auditable, type Tx, writeAudit } from "../audit.js";
import type { AdminContext, Services } from "../context.js";
import { ApiError, badRequest, notFound } from "../errors.js";
import { slotState, type User, userDetail } from "./detail.js";
import { mayTakeAccessAway, revokes } from "./revocation.js";

/** The columns a change sets; the password's hash is made before the transaction (argon2 is slow). */
function toPatch(change: UserChange, passwordHash: string | undefined): UserPatch {
  const patch: UserPatch = {};
  if (change.userType !== undefined) patch.userType = change.userType;
  if (change.memo !== undefined) patch.memo = change.memo;
  Object.assign(patch, change.permissions ?? {}, change.passwordSaving ?? {});
  const r = change.restrictions;
  if (r?.ipAllow?.viewer !== undefined) patch.ipAllowViewer = r.ipAllow.viewer;
  if (r?.ipAllow?.client !== undefined) patch.ipAllowClient = r.ipAllow.client;
  if (r?.macAllow?.viewer !== undefined) patch.macAllowViewer = r.macAllow.viewer;
  if (r?.macAllow?.client !== undefined) patch.macAllowClient = r.macAllow.client;
  if (change.neo?.deviceLimit !== undefined) patch.neoDeviceLimit = change.neo.deviceLimit;
  if (change.neo?.registrationOpen !== undefined) patch.neoRegistrationOpen = change.neo.registrationOpen;
  if (passwordHash !== undefined) patch.passwordHash = passwordHash;
  if (change.unlock) {
    patch.failedCount = 0;
    patch.lockedUntil = null;
  }
  return patch;
}

/** Only what changed goes into the audit row, so it reads as the change itself. */
function diff(before: Record<string, unknown> | null, after: Record<string, unknown> | null) {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of Object.keys(after ?? {})) {
    if (key === "updatedAt") continue;
    if (JSON.stringify(before?.[key]) !== JSON.stringify(after?.[key])) {
      b[key] = before?.[key];
      a[key] = after?.[key];
    }
  }
  return { before: b, after: a };
}

/** The user of the contract named `userName`, or a 404 naming `userName`. */
export async function findUser(db: Database, contractId: string, userName: string) {
  const user = await userByName(db, contractId, userName);
  if (!user) throw notFound(`User ${userName}`, "userName");
  return user;
}

/**
 * Applies one change to one user of the admin's contract inside `tx`: version check, fields, slot
 * initialisation, audit. Throws ApiError (which rolls the transaction back) on conflict.
 */
export async function applyChange(
  tx: Tx,
  admin: AdminContext,
  now: Date,
  user: User,
  expectedVersion: number,
  change: UserChange,
  passwordHash: string | undefined,
  field: string,
): Promise<UserDetail> {
  if (change.neo !== undefined && admin.contract.model !== "neo") {
    const at = field.startsWith("users[") ? `${field.slice(0, field.indexOf("]") + 1)}.neo` : "neo";
    throw badRequest(at, `${at}: this contract uses the legacy model; neo device settings don't apply`);
  }
  const beforeRegs = await registrationsOf(asDb(tx), user.id);
  const result = await updateUser(
    asDb(tx),
    admin.contractId,
    user.id,
    expectedVersion,
    toPatch(change, passwordHash),
  );
  if (!result.ok) {
    if (result.error === "not-found") throw notFound(`User ${user.userName}`, field);
    throw new ApiError(
      409,
      "version-conflict",
      `User ${user.userName} was changed by someone else (now version ${result.current?.version}); reload and retry`,
      field,
    );
  }
  const initialised: ("pc" | "mobile")[] = [];
  for (const slot of ["pc", "mobile"] as const) {
    if (change.initialise?.[slot]) {
      await initialiseSlot(asDb(tx), user.id, slot);
      initialised.push(slot);
    }
  }
  const after = await userById(asDb(tx), user.id);
  if (!after) throw notFound(`User ${user.userName}`, field);
  const afterRegs = await registrationsOf(asDb(tx), user.id);
  // In this transaction: the relays see the end requests only if the change commits.
  const live = await liveSessionsOf(asDb(tx), admin.contractId, [user.id]);
  const revoked = live.filter((session) =>
    revokes(session, admin.contract.model, result.before, after, passwordHash !== undefined, initialised),
  );
  const sessionsEnded = await requestSessionEnd(
    asDb(tx),
    admin.contractId,
    revoked.map((session) => session.id),
    now,
  );
  if (mayTakeAccessAway(change, passwordHash !== undefined, initialised)) {
    // A login that read the account before this change may open its lease after `live` was read:
    // nobody judged it against this change, so its session ends at its first heartbeat.
    await advanceAccessEpoch(
      asDb(tx),
      admin.contractId,
      [user.id],
      live.filter((session) => !revoked.includes(session)).map((session) => session.id),
    );
  }
  const { before, after: changed } = diff(auditable(result.before), auditable(after));
  if (passwordHash !== undefined) changed.password = "changed";
  if (sessionsEnded > 0) changed.sessionsEnded = sessionsEnded;
  if (initialised.length > 0) {
    before.slots = Object.fromEntries(initialised.map((s) => [s, slotState(user, beforeRegs, s).state]));
    changed.slots = Object.fromEntries(initialised.map((s) => [s, slotState(after, afterRegs, s).state]));
  }
  await writeAudit(tx, admin, {
    action: "user.update",
    targetType: "user",
    targetId: user.userName,
    before,
    after: changed,
  });
  return userDetail(after, afterRegs, now);
}

/**
 * One change to one user, in its own transaction: against `version` when the caller sent the one it
 * read (a stale one is a 409 naming `version`), or against the current one for an action that needs
 * none (initialise a slot, unlock, set the password).
 */
export function changeUser(
  services: Pick<Services, "db" | "clock">,
  admin: AdminContext,
  userName: string,
  version: number | "current",
  change: UserChange,
  passwordHash?: string,
) {
  return services.db.transaction(async (tx) => {
    const user = await findUser(asDb(tx), admin.contractId, userName);
    const [expected, field] = version === "current" ? [user.version, "userName"] : [version, "version"];
    return applyChange(tx, admin, services.clock(), user, expected, change, passwordHash, field);
  });
}
