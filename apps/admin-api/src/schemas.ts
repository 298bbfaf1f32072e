/**
 * The admin API's request and response schemas: the contract between the API, its OpenAPI document,
 * the typed client and the TUI. Bodies whose validation is domain knowledge (permissions, allow-lists,
 * lockout policy) come from @tsunagi/core so every end validates them alike.
 *
 * Times travel as ISO 8601 strings (UTC). User names identify users in paths and bodies: they are
 * unique within a contract, and they are what an account manager types.
 */
import { z } from "@hono/zod-openapi";
import {
  Edition,
  fixes,
  Lang,
  LockoutPolicyBody,
  Model,
  PasswordSavingBody,
  PermissionsBody,
  ProductType,
  ReasonKey,
  RestrictionsBody,
  Role,
  SlotKind,
  slotKinds,
  UserType,
} from "@tsunagi/core";

// ---------------------------------------------------------------------------------------------------
// Errors

export const errorCodes = [
  "invalid-request",
  "invalid-credentials",
  "address-not-allowed",
  "unauthorized",
  "session-expired",
  "password-change-required",
  "not-found",
  "version-conflict",
  "precondition-required",
  "unsupported-media-type",
  "payload-too-large",
  "not-ready",
  "rate-limited",
  "busy",
  "internal",
] as const;
export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** The one error shape of every route. `field` names the offending input on a 400. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      requestId: z.string(),
      field: z.string().optional(),
    }),
  })
  .openapi("Error");
export type ErrorBody = z.infer<typeof ErrorBody>;

// ---------------------------------------------------------------------------------------------------
// Shared pieces

const isoTime = z.string().openapi({ format: "date-time", example: "2026-11-15T01:16:55.000Z" });

/** A UTF-16 code unit of a surrogate pair that has no partner: not a character, not encodable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text an account manager or a client sends: at most `max` characters, no NUL (PostgreSQL's text
 * refuses it, which would turn bad input into a 500) and no lone surrogate (not Unicode). Every
 * string in a path, query or body is built from this, so bad input is a 400 naming its field.
 */
export const text = (max: number, min = 0) => textOf(z.string().min(min).max(max));

/** `text`'s rules on a string schema that carries its own limits and messages. */
export const textOf = (schema: z.ZodString) =>
  schema
    .refine((value) => !value.includes("\u0000"), "must not contain NUL (U+0000)")
    .refine((value) => !LONE_SURROGATE.test(value), "must be Unicode text (a lone surrogate is not)");

/** User names as the relay receives them: the same limit as the wire schema. */
export const UserName = text(128, 1).openapi({ example: "user1" });
const limit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback).openapi({ example: fallback });
/** An opaque keyset cursor: hand back `nextCursor` as it came. */
const cursor = text(200, 1).optional().openapi({ description: "nextCursor of the previous page" });

export const ContractInfo = z
  .object({
    code: z.string().openapi({ example: "000000" }),
    name: z.string(),
    model: Model,
    serverHost: z.string().openapi({ example: "asp1" }),
    /** IANA time zone the contract reads times in; the history CSV is written in it. */
    timeZone: z.string().openapi({ example: "Asia/Tokyo" }),
  })
  .openapi("Contract");

// ---------------------------------------------------------------------------------------------------
// Sessions

export const LoginBody = z
  .object({
    server: z
      .string()
      .min(1)
      .max(63)
      // Spelled without the `i` flag, so the document's `pattern` is a valid JSON Schema regex too.
      .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, "server must be a host part like asp1")
      .openapi({ example: "asp1" }),
    login: text(128, 1).openapi({ example: "account.admin" }),
    password: text(1024, 1).openapi({ example: "demo-temp-1234" }),
  })
  .openapi("LoginBody");

export const LoginResponse = z
  .object({
    token: z.string().openapi({ description: "Bearer token for the Authorization header" }),
    expiresAt: isoTime,
    /** When true, every route but change-password and logout answers 403 password-change-required. */
    temporaryPassword: z.boolean(),
    idleTimeoutSeconds: z.number().int(),
    admin: z.object({ login: z.string() }),
    contract: ContractInfo,
  })
  .openapi("LoginResponse");
export type LoginResponse = z.infer<typeof LoginResponse>;

export const CurrentSession = LoginResponse.omit({ token: true }).openapi("CurrentSession");

/** Admin passwords: long enough to resist guessing, short enough to hash. */
export const AdminPassword = textOf(
  z.string().min(12, "newPassword: at least 12 characters").max(256, "newPassword: at most 256 characters"),
);

export const ChangePasswordBody = z
  .object({ currentPassword: text(1024, 1), newPassword: AdminPassword })
  .openapi("ChangePasswordBody");

// ---------------------------------------------------------------------------------------------------
// Reasons

export const Fix = z.enum(fixes);

/** A reason as the admin tools show it, in one language. */
export const Reason = z
  .object({
    key: ReasonKey,
    code: z.number().int().nullable(),
    message: z.string(),
    explanation: z.string(),
    response: z.array(z.string()),
    fix: Fix.nullable(),
  })
  .openapi("Reason");
export type Reason = z.infer<typeof Reason>;

export const CatalogueReason = Reason.extend({
  models: z.array(Model),
  roles: z.array(Role),
  severity: z.enum(["error", "info"]),
  ours: z.boolean(),
  recorded: z.boolean(),
}).openapi("CatalogueReason");

export const ReasonsQuery = z.object({ lang: Lang.default("en"), model: Model.optional() });
export const ReasonsResponse = z.object({ reasons: z.array(CatalogueReason) }).openapi("Reasons");

// ---------------------------------------------------------------------------------------------------
// Access history

/**
 * Extended display (DOMAIN.md): `target` lists viewer rows, each with the client it reached;
 * `source` lists client rows, each with the viewer that reached it. (ours) It implies the type
 * filter, so a contradicting `role` is refused.
 */
export const Extended = z.enum(["target", "source"]);
const extendedDoc =
  "extended display: `target` = viewer rows, each with its target client (`targetClient`); `source` = client rows, each with its source viewer (`sourceViewer`). Implies role; a contradicting role is a 400.";

export const HistoryQuery = z.object({
  role: Role.optional().openapi({ description: "viewer only / client only; omitted: both" }),
  result: z.enum(["success", "failure", "all"]).default("all"),
  user: UserName.optional(),
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "start time, inclusive" }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "start time, exclusive" }),
  lang: Lang.default("en"),
  extended: Extended.optional().openapi({ description: extendedDoc }),
  limit: limit(500, 100),
  cursor,
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryRow = z
  .object({
    id: z.number().int(),
    userName: z.string(),
    role: Role,
    startedAt: isoTime,
    /** A failed attempt ends when it starts; an open session has no end yet. */
    endedAt: isoTime.nullable(),
    durationSeconds: z.number().int().nullable(),
    sourceAddress: z.string().nullable(),
    mac: z.string().nullable(),
    result: z.enum(["success", "failure", "info"]),
    // A union, not `.nullable()`: on a named schema zod-openapi writes `allOf: [$ref, {type: [object, null]}]`,
    // which no null satisfies.
    reason: z.union([Reason, z.null()]),
    product: z.string().nullable(),
    edition: Edition.nullable(),
    /** Extended display: the target client of a viewer row, the source viewer of a client row. */
    peerUserName: z.string().nullable(),
    /** Extended display `target` only: the client this viewer row reached (null if it reached none). */
    targetClient: z.string().nullable().optional(),
    /** Extended display `source` only: the viewer that reached this client row (null if none). */
    sourceViewer: z.string().nullable().optional(),
  })
  .openapi("HistoryRow");
export type HistoryRow = z.infer<typeof HistoryRow>;

export const HistoryPage = z
  .object({
    /** Blocks per user in order of first appearance, each headed with the cumulative connection time. */
    groups: z.array(
      z.object({
        userName: z.string(),
        /** Over the whole filter (all pages), successes only. */
        connectedSeconds: z.number().int(),
        rows: z.array(HistoryRow),
      }),
    ),
    nextCursor: z.string().nullable(),
    /** The extended display these rows carry, if any. */
    extended: Extended.nullable(),
  })
  .openapi("HistoryPage");
export type HistoryPage = z.infer<typeof HistoryPage>;

export const HistoryCsvQuery = HistoryQuery.omit({ limit: true, cursor: true, extended: true }).extend({
  encoding: z.enum(["utf-8", "shift_jis"]).default("utf-8"),
  extended: z
    .enum(["target", "source", "true", "false", "1", "0"])
    .optional()
    .openapi({
      description: `${extendedDoc} Adds the column "Target client" or "Source viewer". \`true\`/\`1\`: rows of both types with one peer column.`,
    }),
});

// ---------------------------------------------------------------------------------------------------
// Users

export const SlotState = z
  .object({
    slot: SlotKind,
    /** Whether this user's permissions use the slot at all. */
    applicable: z.boolean(),
    state: z.enum(["registered", "unregistered", "unregistered-initialised"]),
    initialisedAt: isoTime.nullable(),
    devices: z.array(
      z.object({ seq: z.number().int(), machineId: z.string(), osUser: z.string(), registeredAt: isoTime }),
    ),
  })
  .openapi("SlotState");

export const UserSummary = z
  .object({
    userName: z.string(),
    userType: UserType,
    viewerProduct: ProductType.nullable(),
    memo: z.string(),
    locked: z.boolean(),
    version: z.number().int(),
  })
  .openapi("UserSummary");

export const UserDetail = z
  .object({
    id: z.string(),
    serverHost: z.string(),
    userName: z.string(),
    userType: UserType,
    memo: z.string(),
    permissions: PermissionsBody,
    restrictions: z.object({
      ipAllow: z.object({ viewer: z.array(z.string()).nullable(), client: z.array(z.string()).nullable() }),
      macAllow: z.object({ viewer: z.array(z.string()).nullable(), client: z.array(z.string()).nullable() }),
    }),
    passwordSaving: PasswordSavingBody,
    /** Neo model: the devices this user may register (null: the contract's limit) and whether it may register more. */
    neo: z.object({ deviceLimit: z.number().int().nullable(), registrationOpen: z.boolean() }),
    slots: z.object({ pc: SlotState, mobile: SlotState }),
    lockout: z.object({
      failedCount: z.number().int(),
      lockedUntil: isoTime.nullable(),
      locked: z.boolean(),
    }),
    version: z.number().int(),
    updatedAt: isoTime,
  })
  .openapi("UserDetail");
export type UserDetail = z.infer<typeof UserDetail>;

export const UsersQuery = z.object({
  q: text(128).optional().openapi({ description: "part of the user name or memo" }),
  limit: limit(500, 100),
  cursor,
});
export const UsersPage = z
  .object({ users: z.array(UserSummary), nextCursor: z.string().nullable() })
  .openapi("UsersPage");

/** User passwords: what the relay will compare; the relay's wire limit is 1024. */
export const UserPassword = text(1024).min(8, "password: at least 8 characters");

const { ipAllow, macAllow } = RestrictionsBody.shape;

/** (ours) An upper bound on a neo user's device limit, so a typo can't open registration wide. */
export const NEO_DEVICE_LIMIT_MAX = 100;

/**
 * A change to one user. Every part is optional; what is absent is left as it is. `initialise` and
 * `unlock` are actions, done in the same transaction as the rest.
 */
export const UserChange = z
  .object({
    userType: UserType.optional(),
    memo: text(1000).optional(),
    permissions: PermissionsBody.partial().optional(),
    restrictions: z
      .object({
        ipAllow: z
          .object({ viewer: ipAllow.shape.viewer.optional(), client: ipAllow.shape.client.optional() })
          .optional(),
        macAllow: z
          .object({ viewer: macAllow.shape.viewer.optional(), client: macAllow.shape.client.optional() })
          .optional(),
      })
      .optional(),
    passwordSaving: PasswordSavingBody.partial().optional(),
    /** Neo contracts only (400 on a legacy contract). */
    neo: z
      .object({
        deviceLimit: z
          .number()
          .int("neo.deviceLimit: a whole number")
          .min(1, "neo.deviceLimit: at least 1")
          .max(NEO_DEVICE_LIMIT_MAX, `neo.deviceLimit: at most ${NEO_DEVICE_LIMIT_MAX}`)
          .nullable()
          .optional()
          .openapi({ description: "devices this user may register; null: the contract's limit" }),
        registrationOpen: z
          .boolean()
          .optional()
          .openapi({ description: "closed: an unregistered device fails with 200300" }),
      })
      .strict()
      .optional(),
    password: UserPassword.optional(),
    initialise: z.object({ pc: z.boolean().optional(), mobile: z.boolean().optional() }).optional(),
    unlock: z.boolean().optional(),
  })
  .strict();
export type UserChange = z.infer<typeof UserChange>;

export const UserPatchBody = UserChange.extend({
  /** The version read with the user; or send it as `If-Match: "<version>"`. */
  version: z.number().int().min(1).optional(),
})
  .strict()
  .openapi("UserPatch");

export const BatchPatchBody = z
  .object({
    users: z
      .array(UserChange.extend({ userName: UserName, version: z.number().int().min(1) }).strict())
      .min(1)
      .max(1000),
  })
  .openapi("BatchUserPatch");
export const BatchPatchResponse = z.object({ users: z.array(UserDetail) }).openapi("BatchUserPatchResult");

export const UserNameParam = z.object({
  userName: UserName.openapi({ param: { name: "userName", in: "path" } }),
});
export const SlotParam = UserNameParam.extend({
  // Core's schemas may be built before zod-openapi extends zod, so `.openapi` goes on fresh ones.
  slot: z.enum(slotKinds).openapi({ param: { name: "slot", in: "path" } }),
});
export const SetUserPasswordBody = z.object({ password: UserPassword }).openapi("SetUserPassword");

// ---------------------------------------------------------------------------------------------------
// Grouping

export const GroupLink = z.object({ viewer: UserName, client: UserName }).openapi("GroupLink");
export const GroupsResponse = z
  .object({
    links: z.array(GroupLink.extend({ createdAt: isoTime })),
    /** 1:N — each viewer and the clients it may reach besides its own. */
    byViewer: z.array(z.object({ viewer: z.string(), clients: z.array(z.string()) })),
    /** N:1 — each client and the viewers that may reach it besides its own. */
    byClient: z.array(z.object({ client: z.string(), viewers: z.array(z.string()) })),
  })
  .openapi("Groups");
export const GroupLinksBody = z
  .object({ links: z.array(GroupLink).min(1).max(10_000) })
  .openapi("GroupLinks");
export const GroupChangeResponse = z.object({ added: z.number().int(), removed: z.number().int() });
export const GroupCsvQuery = z.object({ mode: z.enum(["add", "delete"]) });

// ---------------------------------------------------------------------------------------------------
// Security settings

export const SecuritySettings = z
  .object({
    /** Admin login address allow-list; null allows every address. */
    adminAllowCidrs: z.array(z.string()).nullable(),
    lockout: LockoutPolicyBody,
    adminIdleTimeoutSeconds: z.number().int(),
  })
  .openapi("SecuritySettings");

export const SecurityPatchBody = z
  .object({
    adminAllowCidrs: RestrictionsBody.shape.ipAllow.shape.viewer.optional(),
    lockout: LockoutPolicyBody.optional(),
    adminIdleTimeoutSeconds: z
      .number()
      .int()
      .min(60, "adminIdleTimeoutSeconds: at least 60")
      .max(86_400, "adminIdleTimeoutSeconds: at most 86400")
      .optional(),
  })
  .strict()
  .openapi("SecurityPatch");

// ---------------------------------------------------------------------------------------------------
// Active sessions

export const ActiveSession = z
  .object({
    id: z.string(),
    userName: z.string(),
    role: Role,
    sourceAddress: z.string().nullable(),
    peerUserName: z.string().nullable(),
    openedAt: isoTime,
    lastHeartbeatAt: isoTime,
    /** Set once an admin asked to disconnect; the relay closes the session shortly after. */
    disconnectRequestedAt: isoTime.nullable(),
  })
  .openapi("ActiveSession");
export const ActiveSessionsResponse = z
  .object({ sessions: z.array(ActiveSession) })
  .openapi("ActiveSessions");
export const SessionIdParam = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

// ---------------------------------------------------------------------------------------------------
// Audit

export const AuditEntry = z
  .object({
    id: z.number().int(),
    at: isoTime,
    admin: z.string(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    before: z.unknown(),
    after: z.unknown(),
  })
  .openapi("AuditEntry");
export const AuditQuery = z.object({ limit: limit(500, 100), cursor });
export const AuditPage = z
  .object({ entries: z.array(AuditEntry), nextCursor: z.string().nullable() })
  .openapi("AuditPage");

// ---------------------------------------------------------------------------------------------------
// Health

export const HealthResponse = z.object({ status: z.literal("ok") });
export const ReadyResponse = z.object({ status: z.literal("ready") });
