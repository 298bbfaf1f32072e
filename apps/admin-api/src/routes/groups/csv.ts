/**
 * GET and POST /groups/csv: the links exported as CSV (`viewer,client` per line), and imported from
 * it for bulk changes (?mode=add or ?mode=delete); a bad line rejects the whole file.
 */
import { createRoute } from "@hono/zod-openapi";
import { GroupChangeResponse, GroupCsvQuery } from "@tsunagi/api-contract/groups";
import { csvCell, csvRecord, csvRestoreCell } from "@tsunagi/core";
import { groupLinksOf } from "@tsunagi/db";
import { parse } from "csv-parse/sync";
import { router, type Services } from "../../context.js";
import { authErrors, badRequest, errorResponse } from "../../errors.js";
import { changeLinks } from "../../groups/change.js";
import { tags } from "./common.js";

const MAX_CSV_BYTES = 2 * 1024 * 1024;

export function groupCsvRoutes(services: Services) {
  const { db } = services;
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/groups/csv",
        tags,
        summary: "Export the links as CSV (viewer,client)",
        security: [{ bearer: [] }],
        responses: {
          200: {
            description: "UTF-8 CSV with a header line",
            content: { "text/csv": { schema: { type: "string" } } },
          },
          ...authErrors,
        },
      }),
      async (c) => {
        const rows = await groupLinksOf(db, c.get("admin").contractId);
        // Every cell through core's csvCell: a user name a spreadsheet would run is neutralised.
        const text = [["viewer", "client"], ...rows.map((r) => [r.viewer, r.client])]
          .map((record) => csvRecord(record.map(csvCell)))
          .join("");
        return c.body(`\uFEFF${text}`, 200, { "content-type": "text/csv; charset=utf-8" });
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/groups/csv",
        tags,
        summary: "Import links from CSV: ?mode=add adds them, ?mode=delete removes them",
        description:
          "One `viewer,client` pair per line; a first line `viewer,client` is taken as a header. A cell the export neutralised against spreadsheet formulas (`'=name`) is read as the name (`=name`). A bad line rejects the whole file; `field` names it (`line 3`).",
        security: [{ bearer: [] }],
        request: {
          query: GroupCsvQuery,
          body: { required: true, content: { "text/csv": { schema: { type: "string" } } } },
        },
        responses: {
          200: {
            description: "How many were added or removed",
            content: { "application/json": { schema: GroupChangeResponse } },
          },
          ...authErrors,
          413: errorResponse("The file is larger than 2 MiB"),
        },
      }),
      async (c) => {
        const { mode } = c.req.valid("query");
        const text = await c.req.text();
        if (text.length > MAX_CSV_BYTES) throw badRequest("body", "body: the CSV is larger than 2 MiB");
        let records: string[][];
        try {
          records = parse(text.replace(/^\uFEFF/, ""), {
            skip_empty_lines: true,
            trim: true,
            relax_column_count: true,
          });
        } catch (error) {
          const line = (error as { lines?: number }).lines;
          throw badRequest(
            line ? `line ${line}` : "body",
            `${line ? `line ${line}` : "body"}: not valid CSV`,
          );
        }
        const first = records[0];
        const hasHeader = first?.[0]?.toLowerCase() === "viewer" && first[1]?.toLowerCase() === "client";
        const offset = hasHeader ? 2 : 1;
        const set = (hasHeader ? records.slice(1) : records).map((r, i) => {
          if (r.length !== 2 || !r[0] || !r[1]) {
            throw badRequest(`line ${i + offset}`, `line ${i + offset}: expected viewer,client`);
          }
          // A cell the export neutralised ('=name) stands for the name itself.
          return { viewer: csvRestoreCell(r[0]), client: csvRestoreCell(r[1]) };
        });
        if (set.length === 0) throw badRequest("body", "body: no viewer,client lines");
        return c.json(
          await changeLinks(services, c.get("admin"), mode, set, (i) => `line ${i + offset}`),
          200,
        );
      },
    );
}
