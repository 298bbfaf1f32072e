/** Security settings: the admin login allow-list, the lockout policy and the admin idle timeout. */
import { z } from "@hono/zod-openapi";
import { LockoutPolicyBody, RestrictionsBody } from "@tsunagi/core/wire";

export const SecuritySettings = z
  .object({
    /** Admin login address allow-list; null allows every address. */
    adminAllowCidrs: z.array(z.string()).nullable(),
    lockout: LockoutPolicyBody,
    adminIdleTimeoutSeconds: z.number().int(),
  })
  .openapi("SecuritySettings");
export type SecuritySettings = z.infer<typeof SecuritySettings>;

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
