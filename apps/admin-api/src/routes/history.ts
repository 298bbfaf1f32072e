/**
 * Access history: the filtered, keyset-paged page grouped by user with cumulative connection time,
 * and the CSV download, streamed in keyset batches so a year of history costs one batch of memory.
 */
import { createRoute } from "@hono/zod-openapi";
import { csvHeaders, peerHeader, resultLabel, roleLabel } from "@tsunagi/api-contract/csv";
import {
  HistoryCsvQuery,
  type HistoryPage,
  HistoryPage as HistoryPageSchema,
  HistoryQuery,
  type HistoryRow,
} from "@tsunagi/api-contract/history";
import {
  csvCell,
  csvInteger,
  csvMessage,
  type Lang,
  type ReasonKey,
  type RecordedReasonKey,
  reasonKeys,
} from "@tsunagi/core";
import { type Database, type HistoryFilter, historyPage, loggableError, type schema } from "@tsunagi/db";
import iconv from "iconv-lite";
import { router, type Services } from "../context.js";
import { decodeCursor, encodeCursor, HistoryCursorShape } from "../cursor.js";
import { authErrors, badRequest } from "../errors.js";
import { reasonFor } from "../reasons.js";

type Row = typeof schema.accessHistory.$inferSelect;
const tags = ["Access history"];

/** The filter of a query; an extended display implies its row type and refuses the other one. */
function filterOf(q: {
  role?: "viewer" | "client";
  result: string;
  user?: string;
  from?: string;
  to?: string;
  extended?: string;
}): HistoryFilter {
  const implied = q.extended === "target" ? "viewer" : q.extended === "source" ? "client" : undefined;
  if (implied && q.role && q.role !== implied) {
    throw badRequest(
      "extended",
      `extended: ${q.extended} shows ${implied} rows; role=${q.role} contradicts it (omit role, or use extended=${q.extended === "target" ? "source" : "target"})`,
    );
  }
  const role = q.role ?? implied;
  return {
    ...(role ? { role } : {}),
    ...(q.result === "success" || q.result === "failure" ? { result: q.result } : {}),
    ...(q.user ? { userName: q.user } : {}),
    ...(q.from ? { from: new Date(q.from) } : {}),
    ...(q.to ? { to: new Date(q.to) } : {}),
  };
}

/** A stored key the catalogue no longer knows is shown without details rather than failing the page. */
function knownKey(key: string | null): ReasonKey | null {
  return key !== null && (reasonKeys as readonly string[]).includes(key) ? (key as ReasonKey) : null;
}

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

/** The columns the CSV needs. */
type CsvRow = Pick<
  Row,
  "userName" | "role" | "sourceAddress" | "mac" | "result" | "reasonKey" | "reasonCode" | "peerUserName"
> & { startedAt: string; endedAt: string | null; durationSeconds: number | null };

// Local times in the contract's zone, as a spreadsheet shows them (the zone is named in the header),
// formatted by the database to spare a Date per cell.
const LOCAL = "YYYY-MM-DD HH24:MI:SS";

/** Rows per fetch: large enough that round trips don't dominate, small enough to bound memory. */
const BATCH = 5000;

/**
 * Every row of the filter in page order through one server-side cursor: a single query streamed in
 * batches, rather than a keyset query per batch, which is what makes a million-row CSV take seconds.
 * Same filter semantics as @tsunagi/db's historyPage; the contract condition always comes first.
 */
function csvQuery(db: Database, contractId: string, filter: HistoryFilter, timeZone: string) {
  const sql = db.$client;
  const none = sql``;
  return sql<CsvRow[]>`
    select user_name as "userName", role,
      to_char(started_at at time zone ${timeZone}, ${LOCAL}) as "startedAt",
      to_char(ended_at at time zone ${timeZone}, ${LOCAL}) as "endedAt",
      case when result = 'success' and ended_at is not null
        then round(extract(epoch from ended_at - started_at))::int end as "durationSeconds",
      source_address as "sourceAddress", mac, result, reason_key as "reasonKey", reason_code as "reasonCode",
      peer_user_name as "peerUserName"
    from access_history
    where contract_id = ${contractId}
      ${filter.role ? sql`and role = ${filter.role}` : none}
      ${filter.result === "success" ? sql`and result = 'success'` : filter.result === "failure" ? sql`and result in ('failure', 'info')` : none}
      ${filter.userName ? sql`and user_name = ${filter.userName}` : none}
      ${filter.from ? sql`and started_at >= ${filter.from.toISOString()}` : none}
      ${filter.to ? sql`and started_at < ${filter.to.toISOString()}` : none}
    order by started_at desc, id desc`;
}

/**
 * Batches from `source`, asking for the next one before handing out the current: the database
 * produces batch n+1 while batch n is formatted, instead of each side waiting for the other.
 */
async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let next = it.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = it.next();
      yield current.value;
    }
  } finally {
    // Let the pending fetch settle before closing the cursor; its rows are dropped.
    await next.catch(() => undefined);
    await it.return?.(undefined);
  }
}

/**
 * Formats a batch of rows into one CSV chunk. Every cell goes through core's csvCell (RFC 4180 quoting,
 * and a cell a spreadsheet would run as a formula neutralised): the user name, address, MAC and peer
 * come from agents and the database, and the export must be safe whatever they hold. The one
 * exception is the duration, an integer this exporter computes (csvInteger). The result cell of each
 * reason and the labels are built once per download, not once per row.
 */
function csvFormatter(lang: Lang, peer: "target" | "source" | "both" | null) {
  const roles = { viewer: csvCell(roleLabel[lang].viewer), client: csvCell(roleLabel[lang].client) };
  const success = csvCell(resultLabel[lang].success);
  const failures = new Map<string, string>();
  const failureCell = (row: CsvRow): string => {
    const id = `${row.reasonKey}\u0000${row.reasonCode}`;
    let text = failures.get(id);
    if (text === undefined) {
      const key = knownKey(row.reasonKey);
      text = csvCell(
        `${resultLabel[lang].failure}${key && key !== "unknown-user" ? csvMessage(key as RecordedReasonKey, lang) : `(${row.reasonCode ?? "?"})`}`,
      );
      failures.set(id, text);
    }
    return text;
  };
  return (rows: readonly CsvRow[]): string => {
    let out = "";
    for (const row of rows) {
      out += `${csvCell(row.userName)},${roles[row.role]},${csvCell(row.startedAt)},${csvCell(row.endedAt)},${csvInteger(row.durationSeconds)},${csvCell(row.sourceAddress)},${csvCell(row.mac)},${row.result === "success" ? success : failureCell(row)}`;
      out += peer ? `,${csvCell(row.peerUserName)}\r\n` : "\r\n";
    }
    return out;
  };
}

/**
 * The CSV as a byte stream: BOM + UTF-8, or Shift_JIS; CRLF records and RFC 4180 quoting. One chunk
 * per batch of rows, encoded as a whole.
 */
export function historyCsvStream(
  services: Services,
  contractId: string,
  filter: HistoryFilter,
  options: {
    lang: Lang;
    encoding: "utf-8" | "shift_jis";
    peer: "target" | "source" | "both" | null;
    timeZone: string;
  },
): ReadableStream<Uint8Array> {
  const { lang, encoding, peer, timeZone } = options;
  const encode = (text: string): Uint8Array =>
    encoding === "shift_jis" ? iconv.encode(text, "Shift_JIS") : Buffer.from(text, "utf8");
  const format = csvFormatter(lang, peer);
  const batches = readAhead(csvQuery(services.db, contractId, filter, timeZone).cursor(BATCH));
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          const header = [
            // The start and end columns name the zone their times are in.
            ...csvHeaders[lang].map((h, i) => (i === 2 || i === 3 ? `${h} (${timeZone})` : h)),
            ...(peer ? [peerHeader[peer][lang]] : []),
          ]
            .map(csvCell)
            .join(",");
          controller.enqueue(encode(`${encoding === "utf-8" ? "\uFEFF" : ""}${header}\r\n`));
          return;
        }
        const next = await batches.next();
        if (next.done) {
          controller.close();
          return;
        }
        controller.enqueue(encode(format(next.value)));
      } catch (error) {
        // Headers are gone by now; the client sees a cut stream, the log sees why.
        services.logger.error({ err: loggableError(error) }, "history CSV stream failed");
        controller.error(error);
      }
    },
    async cancel() {
      await batches.return(undefined);
    },
  });
}

export function historyRoutes(services: Services) {
  const { db } = services;
  return router()
    .openapi(
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
        const page = await historyPage(db, admin.contractId, filterOf(q), {
          limit: q.limit,
          cursor: at ? { startedAt: new Date(at.t), id: at.i } : null,
        });
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
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/history/csv",
        tags,
        summary: "Access history as CSV (streamed; UTF-8 with BOM, or Shift_JIS)",
        security: [{ bearer: [] }],
        request: { query: HistoryCsvQuery },
        responses: {
          200: { description: "RFC 4180 CSV", content: { "text/csv": { schema: { type: "string" } } } },
          ...authErrors,
        },
      }),
      (c) => {
        const q = c.req.valid("query");
        const admin = c.get("admin");
        const body = historyCsvStream(services, admin.contractId, filterOf(q), {
          timeZone: admin.contract.timeZone,
          lang: q.lang,
          encoding: q.encoding,
          peer:
            q.extended === "target" || q.extended === "source"
              ? q.extended
              : q.extended === "true" || q.extended === "1"
                ? "both"
                : null,
        });
        const charset = q.encoding === "shift_jis" ? "Shift_JIS" : "utf-8";
        return new Response(body, {
          status: 200,
          headers: {
            "content-type": `text/csv; charset=${charset}`,
            "content-disposition": `attachment; filename="access-history-${admin.contract.code}.csv"`,
            "x-request-id": c.get("requestId"),
          },
        });
      },
    );
}
