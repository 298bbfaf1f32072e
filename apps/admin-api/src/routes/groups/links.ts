/** POST /groups/links and /groups/links/remove: a set of links added, or removed, from a JSON body. */
import { createRoute } from "@hono/zod-openapi";
import { GroupChangeResponse, GroupLinksBody } from "@tsunagi/api-contract/groups";
import { router, type Services } from "../../context.js";
import { authErrors } from "../../errors.js";
import { changeLinks } from "../../groups/change.js";
import { tags } from "./common.js";

/** Names the body entry at fault: `links[2].client`. */
const fieldOf = (i: number, side: "viewer" | "client") => `links[${i}].${side}`;

/** The one route both directions share: the body's set of links, added or removed whole. */
function linkSetRoute<P extends string>(
  services: Services,
  mode: "add" | "delete",
  path: P,
  summary: string,
  answer: string,
) {
  return router().openapi(
    createRoute({
      method: "post",
      path,
      tags,
      summary,
      security: [{ bearer: [] }],
      request: { body: { required: true, content: { "application/json": { schema: GroupLinksBody } } } },
      responses: {
        200: { description: answer, content: { "application/json": { schema: GroupChangeResponse } } },
        ...authErrors,
      },
    }),
    async (c) => {
      const { links: set } = c.req.valid("json");
      return c.json(await changeLinks(services, c.get("admin"), mode, set, fieldOf), 200);
    },
  );
}

export function linkRoutes(services: Services) {
  return router()
    .route(
      "/",
      linkSetRoute(
        services,
        "add",
        "/groups/links",
        "Add links (existing ones are kept)",
        "How many were added",
      ),
    )
    .route(
      "/",
      linkSetRoute(services, "delete", "/groups/links/remove", "Remove links", "How many were removed"),
    );
}
