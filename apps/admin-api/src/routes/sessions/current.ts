/** GET and DELETE /sessions/current: the signed-in admin and contract, and logging out. */
import { createRoute } from "@hono/zod-openapi";
import { CurrentSession } from "@tsunagi/api-contract/sessions";
import { endAdminSession } from "@tsunagi/db";
import { router, type Services } from "../../context.js";
import { authErrors } from "../../errors.js";
import { tags } from "./common.js";

export function currentSession(services: Services) {
  const { db } = services;
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/sessions/current",
        tags,
        summary: "The signed-in admin and contract",
        security: [{ bearer: [] }],
        responses: {
          200: { description: "The session", content: { "application/json": { schema: CurrentSession } } },
          401: authErrors[401],
        },
      }),
      (c) => {
        const admin = c.get("admin");
        return c.json(
          {
            expiresAt: admin.expiresAt.toISOString(),
            temporaryPassword: admin.temporaryPassword,
            idleTimeoutSeconds: admin.idleTimeoutSeconds,
            admin: { login: admin.login },
            contract: admin.contract,
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/sessions/current",
        tags,
        summary: "Log out",
        security: [{ bearer: [] }],
        responses: { 204: { description: "Logged out" }, 401: authErrors[401] },
      }),
      async (c) => {
        await endAdminSession(db, c.get("admin").tokenHash);
        return c.body(null, 204);
      },
    );
}
