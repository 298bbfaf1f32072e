/** GET /groups: every link, and the same by viewer (1:N) and by client (N:1). */
import { createRoute } from "@hono/zod-openapi";
import { GroupsResponse } from "@tsunagi/api-contract/groups";
import { groupLinksOf } from "@tsunagi/db";
import { router, type Services } from "../../context.js";
import { authErrors } from "../../errors.js";
import { tags } from "./common.js";

export function listGroups(services: Services) {
  const { db } = services;
  return router().openapi(
    createRoute({
      method: "get",
      path: "/groups",
      tags,
      summary: "Every link, and the same by viewer (1:N) and by client (N:1)",
      security: [{ bearer: [] }],
      responses: {
        200: { description: "The links", content: { "application/json": { schema: GroupsResponse } } },
        ...authErrors,
      },
    }),
    async (c) => {
      const rows = await groupLinksOf(db, c.get("admin").contractId);
      const byViewer = new Map<string, string[]>();
      const byClient = new Map<string, string[]>();
      for (const r of rows) {
        byViewer.set(r.viewer, [...(byViewer.get(r.viewer) ?? []), r.client]);
        byClient.set(r.client, [...(byClient.get(r.client) ?? []), r.viewer]);
      }
      return c.json(
        {
          links: rows.map((r) => ({
            viewer: r.viewer,
            client: r.client,
            createdAt: r.createdAt.toISOString(),
          })),
          byViewer: [...byViewer].map(([viewer, clients]) => ({ viewer, clients })),
          byClient: [...byClient]
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([client, viewers]) => ({ client, viewers })),
        },
        200,
      );
    },
  );
}
