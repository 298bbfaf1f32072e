/**
 * Grouping: explicit viewer → client links beyond the standard connection (same user name). Listed
 * both ways (1:N by viewer, N:1 by client), added and removed in sets, and exported or imported as
 * CSV (`viewer,client` per line) for bulk changes. A set applies whole or not at all. Removing a link
 * ends the linked viewer's live session (the clients it may reach were fixed at its login).
 */
import { createRoute } from "@hono/zod-openapi";
import {
  GroupChangeResponse,
  GroupCsvQuery,
  GroupLinksBody,
  GroupsResponse,
} from "@tsunagi/api-contract/groups";
import { csvCell, csvRecord, csvRestoreCell } from "@tsunagi/core";
import { advanceAccessEpoch, liveSessionsOf, requestSessionEnd, schema } from "@tsunagi/db";
import { parse } from "csv-parse/sync";
import { and, eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { asDb, writeAudit } from "../audit.js";
import { type AdminContext, router, type Services } from "../context.js";
import { authErrors, badRequest, errorResponse } from "../errors.js";

const tags = ["Grouping"];
const { groupLinks, users } = schema;
const viewerUser = alias(users, "viewer_user");
const clientUser = alias(users, "client_user");
const MAX_CSV_BYTES = 2 * 1024 * 1024;

type Link = { viewer: string; client: string };

export function groupRoutes(services: Services) {
  const { db, clock } = services;

  async function links(contractId: string) {
    return db
      .select({ viewer: viewerUser.userName, client: clientUser.userName, createdAt: groupLinks.createdAt })
      .from(groupLinks)
      .innerJoin(viewerUser, eq(viewerUser.id, groupLinks.viewerUserId))
      .innerJoin(clientUser, eq(clientUser.id, groupLinks.clientUserId))
      .where(eq(groupLinks.contractId, contractId))
      .orderBy(viewerUser.userName, clientUser.userName);
  }

  /**
   * Adds or removes a set of links in one transaction. Every name must be a user of the admin's
   * contract; `fieldOf(i, side)` names the offending entry (a body path or a CSV line).
   */
  async function change(
    admin: AdminContext,
    mode: "add" | "delete",
    set: Link[],
    fieldOf: (i: number, side: "viewer" | "client") => string,
  ) {
    const names = [...new Set(set.flatMap((l) => [l.viewer, l.client]))];
    const found = await db
      .select({ id: users.id, userName: users.userName })
      .from(users)
      .where(and(eq(users.contractId, admin.contractId), inArray(users.userName, names)));
    const idOf = new Map(found.map((u) => [u.userName, u.id]));
    const pairs = set.map((link, i) => {
      for (const side of ["viewer", "client"] as const) {
        if (!idOf.has(link[side])) {
          throw badRequest(fieldOf(i, side), `${fieldOf(i, side)}: no user ${link[side]} in this contract`);
        }
      }
      if (link.viewer === link.client) {
        throw badRequest(
          fieldOf(i, "client"),
          `${fieldOf(i, "client")}: a viewer reaches its own user name's client without a link`,
        );
      }
      return { viewerUserId: idOf.get(link.viewer) as string, clientUserId: idOf.get(link.client) as string };
    });
    return db.transaction(async (tx) => {
      let count = 0;
      let sessionsEnded = 0;
      if (mode === "add") {
        const inserted = await tx
          .insert(groupLinks)
          .values(pairs.map((p) => ({ ...p, contractId: admin.contractId })))
          .onConflictDoNothing()
          .returning({ v: groupLinks.viewerUserId });
        count = inserted.length;
      } else {
        const unlinked = new Set<string>();
        for (const p of pairs) {
          const removed = await tx
            .delete(groupLinks)
            .where(
              and(
                eq(groupLinks.contractId, admin.contractId),
                eq(groupLinks.viewerUserId, p.viewerUserId),
                eq(groupLinks.clientUserId, p.clientUserId),
              ),
            )
            .returning({ v: groupLinks.viewerUserId });
          count += removed.length;
          if (removed.length > 0) unlinked.add(p.viewerUserId);
        }
        // In this transaction: the relays see the end requests only if the removal commits.
        const live = await liveSessionsOf(asDb(tx), admin.contractId, [...unlinked]);
        sessionsEnded = await requestSessionEnd(
          asDb(tx),
          admin.contractId,
          live.filter((session) => session.role === "viewer").map((session) => session.id),
          clock(),
        );
        // A viewer whose login read its links before this removal and opens its lease after `live`
        // was read ends at its first heartbeat; the unlinked users' clients keep their access.
        await advanceAccessEpoch(
          asDb(tx),
          admin.contractId,
          [...unlinked],
          live.filter((session) => session.role === "client").map((session) => session.id),
        );
      }
      await writeAudit(tx, admin, {
        action: mode === "add" ? "group.add" : "group.delete",
        targetType: "group-links",
        before: mode === "delete" ? set : null,
        after: mode === "add" ? set : { sessionsEnded },
      });
      return { added: mode === "add" ? count : 0, removed: mode === "delete" ? count : 0 };
    });
  }

  return router()
    .openapi(
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
        const rows = await links(c.get("admin").contractId);
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
    )
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
        return c.json(await change(c.get("admin"), "add", set, (i, side) => `links[${i}].${side}`), 200);
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
        return c.json(await change(c.get("admin"), "delete", set, (i, side) => `links[${i}].${side}`), 200);
      },
    )
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
        const rows = await links(c.get("admin").contractId);
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
        return c.json(await change(c.get("admin"), mode, set, (i) => `line ${i + offset}`), 200);
      },
    );
}
