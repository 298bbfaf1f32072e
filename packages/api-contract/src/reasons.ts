/** Reasons: why an attempt failed, as the admin tools show it, and the catalogue of every reason. */
import { z } from "@hono/zod-openapi";
import { Model, Role } from "@tsunagi/core/domain";
import { fixes, Lang, ReasonKey } from "@tsunagi/core/reasons";

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
