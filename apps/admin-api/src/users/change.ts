/**
 * User management: list with search and keyset paging, details with the terminal-auth slots, and
 * changes to one user (個別管理) or many at once (一括管理). Every change is one transaction that
 * checks the version the admin read (If-Match or `version`), applies the fields, initialises the
 * slots asked for, asks the relays to end the live sessions the change revokes, and writes the audit
 * row; a bad field or a stale version changes nothing.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  BatchPatchBody,
  BatchPatchResponse,
  SetUserPasswordBody,
  SlotParam,
  type UserChange,
  UserDetail,
  UserNameParam,
  UserPatchBody,
  UsersPage,
  UsersQuery,
} from "@tsunagi/api-contract/users";
import {
  addressAllowed,
  hashSecret,
  type Model,
  macAllowed,
  productAllowed,
  type SlotKind,
  slotOf,
} from "@tsunagi/core";
import {
  advanceAccessEpoch,
  type Database,
  initialiseSlot,
  type LiveSession,
  liveSessionsOf,
  requestSessionEnd,
  schema,
  type UserPatch,
  updateUser,
} from "@tsunagi/db";
import { and, asc, eq, gt, ilike, inArray, or, type SQL } from "drizzle-orm";
import { asDb, auditable, type Tx, writeAudit } from "../audit.js";
import { type AdminContext, router, type Services } from "../context.js";
import { decodeCursor, encodeCursor, NameCursorShape } from "../cursor.js";
import { ApiError, authErrors, badRequest, errorResponse, notFound } from "../errors.js";

type User = typeof schema.users.$inferSelect;
type Registration = typeof schema.deviceRegistrations.$inferSelect;
const tags = ["User management"];
const { users, deviceRegistrations } = schema;

const userErrors = {
  ...authErrors,
  404: errorResponse("No such user in this contract"),
} as const;

function slotState(user: User, regs: Registration[], slot: "pc" | "mobile") {
  const devices = regs
    .filter((r) => r.slot === slot)
    .sort((a, b) => a.seq - b.seq)
    .map((r) => ({
      seq: r.seq,
      machineId: r.machineId,
      osUser: r.osUser,
      registeredAt: r.registeredAt.toISOString(),
    }));
  const initialisedAt = slot === "pc" ? user.pcSlotInitialisedAt : user.mobileSlotInitialisedAt;
  const applicable =
    slot === "pc"
      ? (user.viewerProduct?.startsWith("terminal-") ?? false)
      : user.viewerProduct === "mobile" || user.mobileConcurrentUse;
  return {
    slot,
    applicable,
    state:
      devices.length > 0
        ? ("registered" as const)
        : initialisedAt
          ? ("unregistered-initialised" as const)
          : ("unregistered" as const),
    initialisedAt: initialisedAt?.toISOString() ?? null,
    devices,
  };
}

export function userDetail(user: User, regs: Registration[], now: Date): UserDetail {
  return {
    id: user.id,
    serverHost: user.serverHost,
    userName: user.userName,
    userType: user.userType,
    memo: user.memo,
    permissions: {
      viewerProduct: user.viewerProduct,
      viewerUsable: user.viewerUsable,
      mobileConcurrentUse: user.mobileConcurrentUse,
      clientUsable: user.clientUsable,
      edition: user.edition,
      allowNonPlusConcurrentUse: user.allowNonPlusConcurrentUse,
    },
    restrictions: {
      ipAllow: { viewer: user.ipAllowViewer, client: user.ipAllowClient },
      macAllow: { viewer: user.macAllowViewer, client: user.macAllowClient },
    },
    passwordSaving: {
      mayStoreLoginPassword: user.mayStoreLoginPassword,
      mayStoreOsLogonPassword: user.mayStoreOsLogonPassword,
    },
    neo: { deviceLimit: user.neoDeviceLimit, registrationOpen: user.neoRegistrationOpen },
    slots: { pc: slotState(user, regs, "pc"), mobile: slotState(user, regs, "mobile") },
    lockout: {
      failedCount: user.failedCount,
      lockedUntil: user.lockedUntil?.toISOString() ?? null,
      locked: user.lockedUntil !== null && user.lockedUntil > now,
    },
    version: user.version,
    updatedAt: user.updatedAt.toISOString(),
  };
}

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

const permissionsOf = (user: User) => ({
  viewerProduct: user.viewerProduct,
  viewerUsable: user.viewerUsable,
  mobileConcurrentUse: user.mobileConcurrentUse,
  clientUsable: user.clientUsable,
  edition: user.edition,
  allowNonPlusConcurrentUse: user.allowNonPlusConcurrentUse,
});

/** Whether a change touched what decides who may connect as what (the user type included). */
const permissionsChanged = (before: User, after: User) =>
  before.userType !== after.userType ||
  JSON.stringify(permissionsOf(before)) !== JSON.stringify(permissionsOf(after));

/** Whether an allow-list changed; lists are compared as the admin set them (order included). */
const listChanged = (a: readonly string[] | null, b: readonly string[] | null) =>
  JSON.stringify(a) !== JSON.stringify(b);

/**
 * Whether a change takes away what a live session was admitted with, judged as the relay judges an
 * attempt (core's rules): a new password ends every session of the user; an initialised slot ends the
 * viewer whose product registers through it; a changed IP or MAC list ends the sessions of its role
 * that the new list would refuse (the lease keeps the address the relay checked, the history row the
 * MAC the agent reported), so a list that still admits a session leaves it be. MAC lists are a legacy
 * rule; neo never checks them. Changed permissions end a viewer whose product they no longer allow,
 * and a client when clients are no longer usable (or the account became device-dedicated).
 */
function revokes(
  session: LiveSession,
  model: Model,
  before: User,
  after: User,
  passwordChanged: boolean,
  initialised: readonly SlotKind[],
): boolean {
  if (passwordChanged) return true;
  if (session.role === "viewer" && session.product !== null) {
    const slot = slotOf(session.product);
    if (slot !== null && initialised.includes(slot)) return true;
    if (permissionsChanged(before, after) && !productAllowed(session.product, permissionsOf(after)))
      return true;
  }
  if (
    session.role === "client" &&
    permissionsChanged(before, after) &&
    (after.userType === "device-dedicated" || !after.clientUsable)
  ) {
    return true;
  }
  const viewer = session.role === "viewer";
  const ipList = viewer ? after.ipAllowViewer : after.ipAllowClient;
  if (
    listChanged(viewer ? before.ipAllowViewer : before.ipAllowClient, ipList) &&
    ipList !== null &&
    !addressAllowed(session.sourceAddress ?? "", ipList)
  ) {
    return true;
  }
  const macList = viewer ? after.macAllowViewer : after.macAllowClient;
  return (
    model === "legacy" &&
    listChanged(viewer ? before.macAllowViewer : before.macAllowClient, macList) &&
    macList !== null &&
    !macAllowed(session.mac ?? undefined, macList)
  );
}

/** Whether a change touches what the rules admit sessions on (see `revokes`); a memo edit does not. */
function mayTakeAccessAway(change: UserChange, passwordChanged: boolean, initialised: readonly SlotKind[]) {
  return (
    passwordChanged ||
    initialised.length > 0 ||
    change.userType !== undefined ||
    change.permissions !== undefined ||
    change.restrictions !== undefined
  );
}

async function registrationsOf(db: Database | Tx, userId: string) {
  return db.select().from(deviceRegistrations).where(eq(deviceRegistrations.userId, userId));
}

/**
 * Applies one change to one user of the admin's contract inside `tx`: version check, fields, slot
 * initialisation, audit. Throws ApiError (which rolls the transaction back) on conflict.
 */
async function applyChange(
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
  const beforeRegs = await registrationsOf(tx, user.id);
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
  const [after] = await tx.select().from(users).where(eq(users.id, user.id));
  if (!after) throw notFound(`User ${user.userName}`, field);
  const afterRegs = await registrationsOf(tx, user.id);
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

function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!match) throw badRequest("if-match", 'if-match: expected the ETag of the user, e.g. "3"');
  return Number(match[1]);
}

const etag = (version: number) => `"${version}"`;

export function userRoutes(services: Services) {
  const { db, clock } = services;

  async function findUser(contractId: string, userName: string, tx: Database | Tx = db) {
    const [user] = await tx
      .select()
      .from(users)
      .where(and(eq(users.contractId, contractId), eq(users.userName, userName)));
    if (!user) throw notFound(`User ${userName}`, "userName");
    return user;
  }

  /** An action on one user that needs no version from the caller: it runs on the current one. */
  async function act(admin: AdminContext, userName: string, change: UserChange, passwordHash?: string) {
    return db.transaction(async (tx) => {
      const user = await findUser(admin.contractId, userName, tx);
      return applyChange(tx, admin, clock(), user, user.version, change, passwordHash, "userName");
    });
  }

  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/users",
        tags,
        summary: "List users, searching user name and memo",
        security: [{ bearer: [] }],
        request: { query: UsersQuery },
        responses: {
          200: {
            description: "One page, by user name",
            content: { "application/json": { schema: UsersPage } },
          },
          ...authErrors,
        },
      }),
      async (c) => {
        const { q, limit, cursor } = c.req.valid("query");
        const admin = c.get("admin");
        const at = decodeCursor(cursor, NameCursorShape);
        const where: SQL[] = [eq(users.contractId, admin.contractId)];
        if (q) {
          const pattern = `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
          where.push(or(ilike(users.userName, pattern), ilike(users.memo, pattern)) as SQL);
        }
        if (at) where.push(gt(users.userName, at.n));
        const rows = await db
          .select()
          .from(users)
          .where(and(...where))
          .orderBy(asc(users.userName))
          .limit(limit + 1);
        const more = rows.length > limit;
        if (more) rows.pop();
        const now = clock();
        const last = rows.at(-1);
        return c.json(
          {
            users: rows.map((u) => ({
              userName: u.userName,
              userType: u.userType,
              viewerProduct: u.viewerProduct,
              memo: u.memo,
              locked: u.lockedUntil !== null && u.lockedUntil > now,
              version: u.version,
            })),
            nextCursor: more && last ? encodeCursor({ n: last.userName }) : null,
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/users",
        tags,
        summary: "Batch management: change many users in one transaction (all or nothing)",
        security: [{ bearer: [] }],
        request: { body: { required: true, content: { "application/json": { schema: BatchPatchBody } } } },
        responses: {
          200: {
            description: "Every user after the change",
            content: { "application/json": { schema: BatchPatchResponse } },
          },
          ...userErrors,
          409: errorResponse(
            "version-conflict: one of the users changed since it was read; nothing was changed",
          ),
        },
      }),
      async (c) => {
        const { users: items } = c.req.valid("json");
        const admin = c.get("admin");
        const seen = new Set<string>();
        items.forEach((item, i) => {
          if (seen.has(item.userName)) {
            throw badRequest(`users[${i}].userName`, `users[${i}].userName: ${item.userName} appears twice`);
          }
          seen.add(item.userName);
        });
        const hashes = new Map<string, string>();
        for (const item of items)
          if (item.password) hashes.set(item.userName, await hashSecret(item.password));
        const now = clock();
        const result = await db.transaction(async (tx) => {
          const found = await tx
            .select()
            .from(users)
            .where(and(eq(users.contractId, admin.contractId), inArray(users.userName, [...seen])));
          const byName = new Map(found.map((u) => [u.userName, u]));
          const out: UserDetail[] = [];
          for (const [i, item] of items.entries()) {
            const user = byName.get(item.userName);
            if (!user) throw notFound(`User ${item.userName}`, `users[${i}].userName`);
            const { userName: _, version, ...change } = item;
            out.push(
              await applyChange(
                tx,
                admin,
                now,
                user,
                version,
                change,
                hashes.get(item.userName),
                `users[${i}].version`,
              ),
            );
          }
          return out;
        });
        return c.json({ users: result }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/users/{userName}",
        tags,
        summary: "One user, with permissions, restrictions and terminal-auth slots (ETag = version)",
        security: [{ bearer: [] }],
        request: { params: UserNameParam },
        responses: {
          200: { description: "The user", content: { "application/json": { schema: UserDetail } } },
          ...userErrors,
        },
      }),
      async (c) => {
        const { userName } = c.req.valid("param");
        const user = await findUser(c.get("admin").contractId, userName);
        const detail = userDetail(user, await registrationsOf(db, user.id), clock());
        c.header("ETag", etag(detail.version));
        return c.json(detail, 200);
      },
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/users/{userName}",
        tags,
        summary: "Change one user (send the version you read as If-Match or `version`)",
        security: [{ bearer: [] }],
        request: {
          params: UserNameParam,
          headers: z.object({ "if-match": z.string().max(40).optional() }),
          body: { required: true, content: { "application/json": { schema: UserPatchBody } } },
        },
        responses: {
          200: {
            description: "The user after the change",
            content: { "application/json": { schema: UserDetail } },
          },
          ...userErrors,
          409: errorResponse(
            "version-conflict: changed by someone else since it was read; nothing was changed",
          ),
          428: errorResponse("precondition-required: send If-Match or version"),
        },
      }),
      async (c) => {
        const { userName } = c.req.valid("param");
        const { version: bodyVersion, ...change } = c.req.valid("json");
        const admin = c.get("admin");
        const version = bodyVersion ?? parseIfMatch(c.req.valid("header")["if-match"]);
        if (version === undefined) {
          throw new ApiError(
            428,
            "precondition-required",
            "version: send the version you read (body `version` or If-Match) so a concurrent change isn't overwritten",
            "version",
          );
        }
        const passwordHash = change.password ? await hashSecret(change.password) : undefined;
        const detail = await db.transaction(async (tx) => {
          const user = await findUser(admin.contractId, userName, tx);
          return applyChange(tx, admin, clock(), user, version, change, passwordHash, "version");
        });
        c.header("ETag", etag(detail.version));
        return c.json(detail, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/users/{userName}/slots/{slot}/initialise",
        tags,
        summary: "Initialise the PC or mobile slot: the next login registers its device afresh",
        security: [{ bearer: [] }],
        request: { params: SlotParam },
        responses: {
          200: {
            description: "The user after the change",
            content: { "application/json": { schema: UserDetail } },
          },
          ...userErrors,
        },
      }),
      async (c) => {
        const { userName, slot } = c.req.valid("param");
        const detail = await act(c.get("admin"), userName, { initialise: { [slot]: true } });
        c.header("ETag", etag(detail.version));
        return c.json(detail, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/users/{userName}/unlock",
        tags,
        summary: "Unlock a user locked out after repeated password failures",
        security: [{ bearer: [] }],
        request: { params: UserNameParam },
        responses: {
          200: {
            description: "The user after the change",
            content: { "application/json": { schema: UserDetail } },
          },
          ...userErrors,
        },
      }),
      async (c) => {
        const { userName } = c.req.valid("param");
        const detail = await act(c.get("admin"), userName, { unlock: true });
        c.header("ETag", etag(detail.version));
        return c.json(detail, 200);
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/users/{userName}/password",
        tags,
        summary: "Set a user's password",
        security: [{ bearer: [] }],
        request: {
          params: UserNameParam,
          body: { required: true, content: { "application/json": { schema: SetUserPasswordBody } } },
        },
        responses: {
          200: {
            description: "The user after the change",
            content: { "application/json": { schema: UserDetail } },
          },
          ...userErrors,
        },
      }),
      async (c) => {
        const { userName } = c.req.valid("param");
        const { password } = c.req.valid("json");
        const detail = await act(c.get("admin"), userName, {}, await hashSecret(password));
        c.header("ETag", etag(detail.version));
        return c.json(detail, 200);
      },
    );
}
