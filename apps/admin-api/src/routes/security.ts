/**
 * The contract's security settings: the admin login address allow-list, the lockout policy for
 * users and admins, and the admin session idle timeout. A new allow-list must include the address
 * of the admin saving it, or the admin would lock the whole contract out of its own administration.
 */
import { createRoute } from "@hono/zod-openapi";
import { SecurityPatchBody, SecuritySettings } from "@tsunagi/api-contract/security";
import { addressAllowed } from "@tsunagi/core";
import { contractById, updateSecuritySettings } from "@tsunagi/db";
import type { Contract } from "@tsunagi/db/schema";
import { asDb, writeAudit } from "../audit.js";
import { router, type Services } from "../context.js";
import { authErrors, badRequest, notFound } from "../errors.js";

const tags = ["Security"];

function settingsOf(c: Contract) {
  return {
    adminAllowCidrs: c.adminAllowCidrs,
    lockout: { threshold: c.lockoutThreshold, durationSeconds: c.lockoutSeconds },
    adminIdleTimeoutSeconds: c.adminIdleTimeoutSeconds,
  };
}

export function securityRoutes(services: Services) {
  const { db, clock } = services;
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/security",
        tags,
        summary: "The contract's security settings",
        security: [{ bearer: [] }],
        responses: {
          200: { description: "The settings", content: { "application/json": { schema: SecuritySettings } } },
          ...authErrors,
        },
      }),
      async (c) => {
        const contract = await contractById(db, c.get("admin").contractId);
        if (!contract) throw notFound("Contract");
        return c.json(settingsOf(contract), 200);
      },
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/security",
        tags,
        summary: "Change security settings (what is absent stays)",
        security: [{ bearer: [] }],
        request: { body: { required: true, content: { "application/json": { schema: SecurityPatchBody } } } },
        responses: {
          200: {
            description: "The settings after the change",
            content: { "application/json": { schema: SecuritySettings } },
          },
          ...authErrors,
        },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const admin = c.get("admin");
        const address = c.get("clientAddress");
        if (
          body.adminAllowCidrs &&
          (address === undefined || !addressAllowed(address, body.adminAllowCidrs))
        ) {
          throw badRequest(
            "adminAllowCidrs",
            `adminAllowCidrs: must include your own address (${address ?? "unknown"}), or you could not log in again`,
          );
        }
        const after = await db.transaction(async (tx) => {
          const before = await contractById(asDb(tx), admin.contractId, { forUpdate: true });
          if (!before) throw notFound("Contract");
          const updated = await updateSecuritySettings(
            asDb(tx),
            admin.contractId,
            {
              ...(body.adminAllowCidrs !== undefined ? { adminAllowCidrs: body.adminAllowCidrs } : {}),
              ...(body.lockout
                ? { lockoutThreshold: body.lockout.threshold, lockoutSeconds: body.lockout.durationSeconds }
                : {}),
              ...(body.adminIdleTimeoutSeconds !== undefined
                ? { adminIdleTimeoutSeconds: body.adminIdleTimeoutSeconds }
                : {}),
            },
            clock(),
          );
          if (!updated) throw notFound("Contract");
          await writeAudit(tx, admin, {
            action: "security.update",
            targetType: "contract",
            targetId: before.contractCode,
            before: settingsOf(before),
            after: settingsOf(updated),
          });
          return updated;
        });
        return c.json(settingsOf(after), 200);
      },
    );
}
