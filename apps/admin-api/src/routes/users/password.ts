/** PUT /users/{userName}/password: an account manager sets a user's password (every live session of the user ends). */
import { createRoute } from "@hono/zod-openapi";
import { SetUserPasswordBody, UserNameParam } from "@tsunagi/api-contract/users";
import { hashSecret } from "@tsunagi/core/password";
import { router, type Services } from "../../context.js";
import { changeUser } from "../../users/change.js";
import { changedUserResponses, tags, withETag } from "./common.js";

export function setUserPassword(services: Services) {
  return router().openapi(
    createRoute({
      method: "put",
      path: "/users/{userName}/password",
      tags,
      summary: "Set a user's password",
      security: [{ bearer: [] }],
      request: {
        params: UserNameParam,
        body: { required: true, content: { "application/json": { schema: SetUserPasswordBody } } },
      },
      responses: changedUserResponses,
    }),
    async (c) => {
      const { userName } = c.req.valid("param");
      const { password } = c.req.valid("json");
      const detail = await changeUser(
        services,
        c.get("admin"),
        userName,
        "current",
        {},
        await hashSecret(password),
      );
      return c.json(withETag(c, detail), 200);
    },
  );
}
