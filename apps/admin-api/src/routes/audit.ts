/** The contract's admin audit log, newest first, keyset-paged. */
import { createRoute } from "@hono/zod-openapi";
import { AuditPage, AuditQuery } from "@tsunagi/api-contract/audit";
import { auditPage } from "@tsunagi/db";
import { router, type Services } from "../context.js";
import { decodeCursor, encodeCursor, IdCursorShape } from "../cursor.js";
import { authErrors } from "../errors.js";

export function auditRoutes(services: Services) {
  return router().openapi(
    createRoute({
      method: "get",
      path: "/audit",
      tags: ["Audit"],
      summary: "Who changed what, when: before and after",
      security: [{ bearer: [] }],
      request: { query: AuditQuery },
      responses: {
        200: {
          description: "One page, newest first",
          content: { "application/json": { schema: AuditPage } },
        },
        ...authErrors,
      },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const at = decodeCursor(cursor, IdCursorShape);
      const page = await auditPage(services.db, c.get("admin").contractId, { beforeId: at?.i, limit });
      const last = page.entries.at(-1);
      return c.json(
        {
          entries: page.entries.map((r) => ({
            id: r.id,
            at: r.at.toISOString(),
            admin: r.adminLoginName,
            action: r.action,
            targetType: r.targetType,
            targetId: r.targetId,
            before: r.before,
            after: r.after,
          })),
          nextCursor: page.more && last ? encodeCursor({ i: last.id }) : null,
        },
        200,
      );
    },
  );
}
