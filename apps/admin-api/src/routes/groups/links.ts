/** POST /groups/links and /groups/links/remove: a set of links added, or removed, from a JSON body. */
import { createRoute } from "@hono/zod-openapi";
import { GroupChangeResponse, GroupLinksBody } from "@tsunagi/api-contract/groups";
import { router, type Services } from "../../context.js";
import { authErrors } from "../../errors.js";
import { changeLinks } from "../../groups/change.js";
import { tags } from "./common.js";

/** Names the body entry at fault: `links[2].client`. */
const fieldOf = (i: number, side: "viewer" | "client") => `links[${i}].${side}`;

export function linkRoutes(services: Services) {
  return router()
    .openapi(
      createRoute({
        method: "post",
        path: "/groups/links",
        tags,
        summary: "Add links (existing ones are kept)",
        security: [{ bearer: [] }],
        request: { body: { required: true, content: { "application/json": { schema: GroupLinksBody } } } },
        responses: {
          200: {
            description: "How many were added",
            content: { "application/json": { schema: GroupChangeResponse } },
          },
          ...authErrors,
        },
      }),
      async (c) => {
        const { links: set } = c.req.valid("json");
        return c.json(await changeLinks(services, c.get("admin"), "add", set, fieldOf), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/groups/links/remove",
        tags,
        summary: "Remove links",
        security: [{ bearer: [] }],
        request: { body: { required: true, content: { "application/json": { schema: GroupLinksBody } } } },
        responses: {
          200: {
            description: "How many were removed",
            content: { "application/json": { schema: GroupChangeResponse } },
          },
          ...authErrors,
        },
      }),
      async (c) => {
        const { links: set } = c.req.valid("json");
        return c.json(await changeLinks(services, c.get("admin"), "delete", set, fieldOf), 200);
      },
    );
}
