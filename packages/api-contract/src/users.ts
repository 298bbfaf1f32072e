/**
 * User management: the list, one user's details with its terminal-auth slots, and the changes to
 * one user or many at once. Bodies whose validation is domain knowledge (permissions, allow-lists)
 * come from @tsunagi/core, so every end validates them alike.
 */
import { z } from "@hono/zod-openapi";
import { ProductType, SlotKind, slotKinds, UserType } from "@tsunagi/core/domain";
import { PasswordSavingBody, PermissionsBody, RestrictionsBody } from "@tsunagi/core/wire";
import { cursor, displayText, isoTime, limit, text, UserName } from "./common.js";

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
export type SlotState = z.infer<typeof SlotState>;

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
export type UserSummary = z.infer<typeof UserSummary>;

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
export type UsersPage = z.infer<typeof UsersPage>;

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
    memo: displayText(1000).optional(),
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
/** A user change as a client sends it (PATCH /users/{userName} and each item of PATCH /users). */
export type UserChangeInput = z.input<typeof UserChange>;

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
