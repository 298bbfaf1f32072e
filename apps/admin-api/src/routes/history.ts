/**
 * Access history: the filtered, keyset-paged page grouped by user with cumulative connection time,
 * and the CSV download, streamed in keyset batches so a year of history costs one batch of memory.
 */
import { createRoute } from "@hono/zod-openapi";
import { csvMessage, type Lang, type ReasonKey, type RecordedReasonKey, reasonKeys } from "@tsunagi/core";
import { type Database, type HistoryFilter, historyPage, type schema } from "@tsunagi/db";
import { stringify } from "csv-stringify/sync";
import iconv from "iconv-lite";
import { router, type Services } from "../context.js";
import { decodeCursor, encodeCursor, HistoryCursorShape } from "../cursor.js";
import { authErrors } from "../errors.js";
import { reasonFor } from "../reasons.js";
import {
  HistoryCsvQuery,
  type HistoryPage,
  HistoryPage as HistoryPageSchema,
  HistoryQuery,
  type HistoryRow,
} from "../schemas.js";

type Row = typeof schema.accessHistory.$inferSelect;
const tags = ["Access history"];

function filterOf(q: {
  role?: "viewer" | "client";
  result: string;
  user?: string;
  from?: string;
  to?: string;
}): HistoryFilter {
  return {
    ...(q.role ? { role: q.role } : {}),
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

function toRow(row: Row, lang: Lang): HistoryRow {
  const key = knownKey(row.reasonKey);
  return {
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

const csvHeaders = {
  en: ["User name", "Type", "Start", "End", "Duration (s)", "Source address", "MAC address", "Result"],
  ja: [
    "ユーザ名",
    "種別",
    "接続開始時刻",
    "接続終了時刻",
    "接続時間(秒)",
    "接続元アドレス",
    "MACアドレス",
    "認証結果",
  ],
} as const;
const peerHeader = {
  en: "Peer (target client / source viewer)",
  ja: "接続先クライアント／接続元ビューア",
} as const;
const roleLabel = {
  en: { viewer: "Viewer", client: "Client" },
  ja: { viewer: "ビューア", client: "クライアント" },
} as const;
const resultLabel = {
  en: { success: "Success", failure: "Failure: " },
  ja: { success: "成功", failure: "失敗：" },
} as const;

/** Spreadsheets run a cell that starts with = + - @ as a formula; user names come from the wire. */
function cell(text: string | null): string {
  if (text === null) return "";
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** The columns the CSV needs. */
type CsvRow = Pick<
  Row,
  "userName" | "role" | "sourceAddress" | "mac" | "result" | "reasonKey" | "reasonCode" | "peerUserName"
> & { startedAt: string; endedAt: string | null; durationSeconds: number | null };

/**
 * Every row of the filter in page order through one server-side cursor: a single query streamed in
 * batches, rather than a keyset query per batch, which is what makes a million-row CSV take seconds.
 * Same filter semantics as @tsunagi/db's historyPage; the contract condition always comes first.
 */
// Times as the JSON API gives them (toISOString), formatted by the database to spare a Date per cell.
const ISO = `YYYY-MM-DD"T"HH24:MI:SS.MS"Z"`;

async function* csvRows(db: Database, contractId: string, filter: HistoryFilter): AsyncGenerator<CsvRow[]> {
  const sql = db.$client;
  const none = sql``;
  const query = sql<CsvRow[]>`
    select user_name as "userName", role,
      to_char(started_at at time zone 'UTC', ${ISO}) as "startedAt",
      to_char(ended_at at time zone 'UTC', ${ISO}) as "endedAt",
      case when result = 'success' and ended_at is not null
        then round(extract(epoch from ended_at - started_at))::int end as "durationSeconds",
      source_address as "sourceAddress", mac, result, reason_key as "reasonKey", reason_code as "reasonCode",
      peer_user_name as "peerUserName"
    from access_history
    where contract_id = ${contractId}
      ${filter.role ? sql`and role = ${filter.role}` : none}
      ${filter.result === "success" ? sql`and result = 'success'` : filter.result === "failure" ? sql`and result in ('failure', 'info')` : none}
      ${filter.userName ? sql`and user_name = ${filter.userName}` : none}
      ${filter.from ? sql`and started_at >= ${filter.from}` : none}
      ${filter.to ? sql`and started_at < ${filter.to}` : none}
    order by started_at desc, id desc`;
  for await (const batch of query.cursor(BATCH)) yield batch;
}

function csvRecord(row: CsvRow, lang: Lang, extended: boolean): string[] {
  const key = knownKey(row.reasonKey);
  const result =
    row.result === "success"
      ? resultLabel[lang].success
      : `${resultLabel[lang].failure}${key && key !== "unknown-user" ? csvMessage(key as RecordedReasonKey, lang) : `(${row.reasonCode ?? "?"})`}`;
  const record = [
    cell(row.userName),
    roleLabel[lang][row.role],
    row.startedAt,
    row.endedAt ?? "",
    row.durationSeconds === null ? "" : String(row.durationSeconds),
    row.sourceAddress ?? "",
    row.mac ?? "",
    result,
  ];
  if (extended) record.push(cell(row.peerUserName));
  return record;
}

const BATCH = 2000;

/** The CSV as a byte stream: BOM + UTF-8, or Shift_JIS; CRLF records and RFC 4180 quoting. */
export function historyCsvStream(
  services: Services,
  contractId: string,
  filter: HistoryFilter,
  options: { lang: Lang; encoding: "utf-8" | "shift_jis"; extended: boolean },
): ReadableStream<Uint8Array> {
  const { lang, encoding, extended } = options;
  const encode = (text: string): Uint8Array =>
    encoding === "shift_jis" ? iconv.encode(text, "Shift_JIS") : Buffer.from(text, "utf8");
  const batches = csvRows(services.db, contractId, filter);
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!started) {
          started = true;
          const header = extended ? [...csvHeaders[lang], peerHeader[lang]] : [...csvHeaders[lang]];
          const text = stringify([header], { record_delimiter: "\r\n" });
          controller.enqueue(encode(encoding === "utf-8" ? `\uFEFF${text}` : text));
          return;
        }
        const next = await batches.next();
        if (next.done) {
          controller.close();
          return;
        }
        const records = next.value.map((row) => csvRecord(row, lang, extended));
        controller.enqueue(encode(stringify(records, { record_delimiter: "\r\n" })));
      } catch (error) {
        // Headers are gone by now; the client sees a cut stream, the log sees why.
        services.logger.error({ err: error }, "history CSV stream failed");
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
          group.rows.push(toRow(row, q.lang));
        }
        const next = page.nextCursor;
        return c.json(
          {
            groups: [...groups.values()],
            nextCursor: next ? encodeCursor({ t: next.startedAt.toISOString(), i: next.id }) : null,
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
          lang: q.lang,
          encoding: q.encoding,
          extended: q.extended ?? false,
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
