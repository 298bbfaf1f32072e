/**
 * PATCH /users: batch management (一括管理), many users changed in one transaction, all or nothing;
 * each item carries the version its user was read at.
 */
import { createRoute } from "@hono/zod-openapi";
import { BatchPatchBody, BatchPatchResponse, type UserDetail } from "@tsunagi/api-contract/users";
import { hashSecret } from "@tsunagi/core/password";
import { usersByName } from "@tsunagi/db";
import { asDb } from "../../audit.js";
import { router, type Services } from "../../context.js";
import { badRequest, errorResponse, notFound } from "../../errors.js";
import { applyChange } from "../../users/change.js";
import { tags, userErrors } from "./common.js";

export function batchChangeUsers(services: Services) {
  const { db, clock } = services;
  return router().openapi(
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
      for (const item of items) if (item.password) hashes.set(item.userName, await hashSecret(item.password));
      const now = clock();
      const result = await db.transaction(async (tx) => {
        const found = await usersByName(asDb(tx), admin.contractId, [...seen]);
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
  );
}
