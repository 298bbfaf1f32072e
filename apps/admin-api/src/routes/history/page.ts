/**
 * GET /history: the access history filtered, grouped by user with each user's cumulative connection
 * time, one keyset page at a time; each failure with its reason's message and response steps.
 */
import { createRoute } from "@hono/zod-openapi";
import {
  type HistoryPage,
  HistoryPage as HistoryPageSchema,
  HistoryQuery,
  type HistoryRow,
} from "@tsunagi/api-contract/history";
import type { Lang } from "@tsunagi/core";
import { historyPage, type schema } from "@tsunagi/db";
import { router, type Services } from "../../context.js";
import { decodeCursor, encodeCursor, HistoryCursorShape } from "../../cursor.js";
import { authErrors } from "../../errors.js";
import { reasonFor } from "../../reasons.js";
import { filterOf, knownKey, tags } from "./common.js";

type Row = typeof schema.accessHistory.$inferSelect;

function toRow(row: Row, lang: Lang, extended: "target" | "source" | undefined): HistoryRow {
  const key = knownKey(row.reasonKey);
  return {
    ...(extended === "target" ? { targetClient: row.peerUserName } : {}),
    ...(extended === "source" ? { sourceViewer: row.peerUserName } : {}),
    id: row.id,
    userName: row.userName,
    role: row.role,
    startedAt: row.startedAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    durationSeconds:
      row.result === "success" && row.endedAt
        ? Math.round((row.endedAt.getTime() - row.startedAt.getTime()) / 1000)
        : null,
    sourceAddress: row.sourceAddress,
    mac: row.mac,
    result: row.result,
    reason: key ? reasonFor(key, lang) : null,
    product: row.product,
    edition: row.edition,
    peerUserName: row.peerUserName,
  };
}

export function historyPageRoute(services: Services) {
  const { db } = services;
  return router().openapi(
    createRoute({
      method: "get",
      path: "/history",
      tags,
      summary: "Access history: filtered, grouped by user, keyset-paged",
      security: [{ bearer: [] }],
      request: { query: HistoryQuery },
      responses: {
        200: { description: "One page", content: { "application/json": { schema: HistoryPageSchema } } },
        ...authErrors,
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const admin = c.get("admin");
      const at = decodeCursor(q.cursor, HistoryCursorShape);
      const page = await historyPage(
        db,
        admin.contractId,
        filterOf(q, admin.contract.historyRetentionMonths, services.clock()),
        {
          limit: q.limit,
          cursor: at ? { startedAt: new Date(at.t), id: at.i } : null,
        },
      );
      const seconds = new Map(page.users.map((u) => [u.userName, u.connectedSeconds]));
      const groups = new Map<string, HistoryPage["groups"][number]>();
      for (const row of page.rows) {
        let group = groups.get(row.userName);
        if (!group) {
          group = { userName: row.userName, connectedSeconds: seconds.get(row.userName) ?? 0, rows: [] };
          groups.set(row.userName, group);
        }
        group.rows.push(toRow(row, q.lang, q.extended));
      }
      const next = page.nextCursor;
      return c.json(
        {
          groups: [...groups.values()],
          nextCursor: next ? encodeCursor({ t: next.startedAt.toISOString(), i: next.id }) : null,
          extended: q.extended ?? null,
        },
        200,
      );
    },
  );
}
