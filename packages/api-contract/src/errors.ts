/** The one error shape of every route, and the codes it carries. */
import { z } from "@hono/zod-openapi";

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
