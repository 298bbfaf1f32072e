/** Sessions: an account manager's login, the session it opens, and the change of its own password. */
import { z } from "@hono/zod-openapi";
import { Model } from "@tsunagi/core/domain";
import { isoTime, text, textOf } from "./common.js";

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
export type ContractInfo = z.infer<typeof ContractInfo>;

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
