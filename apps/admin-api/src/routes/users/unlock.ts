/** POST /users/{userName}/unlock: ends the lockout that repeated password failures started. */
import { createRoute } from "@hono/zod-openapi";
import { UserNameParam } from "@tsunagi/api-contract/users";
import { router, type Services } from "../../context.js";
import { changeUser } from "../../users/change.js";
import { changedUserResponses, tags, withETag } from "./common.js";

export function unlockUser(services: Services) {
  return router().openapi(
    createRoute({
      method: "post",
      path: "/users/{userName}/unlock",
      tags,
      summary: "Unlock a user locked out after repeated password failures",
      security: [{ bearer: [] }],
      request: { params: UserNameParam },
      responses: changedUserResponses,
    }),
    async (c) => {
      const { userName } = c.req.valid("param");
      const detail = await changeUser(services, c.get("admin"), userName, "current", { unlock: true });
      return c.json(withETag(c, detail), 200);
    },
  );
}
