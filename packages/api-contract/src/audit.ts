/** The audit trail: every change an account manager made, newest first. */
import { z } from "@hono/zod-openapi";
import { cursor, isoTime, limit } from "./common.js";

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
