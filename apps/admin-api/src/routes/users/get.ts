/** GET /users/{userName}: one user, with permissions, restrictions and terminal-auth slots; its ETag is its version. */
import { createRoute } from "@hono/zod-openapi";
import { UserDetail, UserNameParam } from "@tsunagi/api-contract/users";
import { registrationsOf } from "@tsunagi/db";
import { router, type Services } from "../../context.js";
import { findUser } from "../../users/change.js";
import { userDetail } from "../../users/detail.js";
import { tags, userErrors, withETag } from "./common.js";

export function getUser(services: Services) {
  const { db, clock } = services;
  return router().openapi(
    createRoute({
      method: "get",
      path: "/users/{userName}",
      tags,
      summary: "One user, with permissions, restrictions and terminal-auth slots (ETag = version)",
      security: [{ bearer: [] }],
      request: { params: UserNameParam },
      responses: {
        200: { description: "The user", content: { "application/json": { schema: UserDetail } } },
        ...userErrors,
      },
    }),
    async (c) => {
      const { userName } = c.req.valid("param");
      const user = await findUser(db, c.get("admin").contractId, userName);
      return c.json(withETag(c, userDetail(user, await registrationsOf(db, user.id), clock())), 200);
    },
  );
}
