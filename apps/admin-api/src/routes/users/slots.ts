/** POST /users/{userName}/slots/{slot}/initialise: the slot forgets its devices; the next login registers afresh. */
import { createRoute } from "@hono/zod-openapi";
import { SlotParam } from "@tsunagi/api-contract/users";
import { router, type Services } from "../../context.js";
import { changeUser } from "../../users/change.js";
import { changedUserResponses, tags, withETag } from "./common.js";

export function initialiseUserSlot(services: Services) {
  return router().openapi(
    createRoute({
      method: "post",
      path: "/users/{userName}/slots/{slot}/initialise",
      tags,
      summary: "Initialise the PC or mobile slot: the next login registers its device afresh",
      security: [{ bearer: [] }],
      request: { params: SlotParam },
      responses: changedUserResponses,
    }),
    async (c) => {
      const { userName, slot } = c.req.valid("param");
      const detail = await changeUser(services, c.get("admin"), userName, "current", {
        initialise: { [slot]: true },
      });
      return c.json(withETag(c, detail), 200);
    },
  );
}
