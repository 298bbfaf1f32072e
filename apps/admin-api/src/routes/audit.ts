/** The contract's admin audit log, newest first, keyset-paged. */
import { createRoute } from "@hono/zod-openapi";
import { AuditPage, AuditQuery } from "@tsunagi/api-contract/audit";
import { schema } from "@tsunagi/db";
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import { router, type Services } from "../context.js";
import { decodeCursor, encodeCursor, IdCursorShape } from "../cursor.js";
import { authErrors } from "../errors.js";

const { adminAudit } = schema;

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
      const where: SQL[] = [eq(adminAudit.contractId, c.get("admin").contractId)];
      if (at) where.push(lt(adminAudit.id, at.i));
      const rows = await services.db
        .select()
        .from(adminAudit)
        .where(and(...where))
        .orderBy(desc(adminAudit.id))
        .limit(limit + 1);
      const more = rows.length > limit;
      if (more) rows.pop();
      const last = rows.at(-1);
      return c.json(
        {
          entries: rows.map((r) => ({
            id: r.id,
            at: r.at.toISOString(),
            admin: r.adminLoginName,
            action: r.action,
            targetType: r.targetType,
            targetId: r.targetId,
            before: r.before,
            after: r.after,
          })),
          nextCursor: more && last ? encodeCursor({ i: last.id }) : null,
        },
        200,
      );
    },
  );
}
