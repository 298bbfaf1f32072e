/**
 * GET /history/csv: the access history as CSV, streamed in batches from one server-side cursor, so a
 * year of history costs one batch of memory.
 */
import { createRoute } from "@hono/zod-openapi";
import { csvHeaders, peerHeader, resultLabel, roleLabel } from "@tsunagi/api-contract/csv";
import { HistoryCsvQuery } from "@tsunagi/api-contract/history";
import { csvCell, csvMessage, type Lang, type RecordedReasonKey } from "@tsunagi/core";
import { type HistoryCsvRow, type HistoryFilter, historyCsvRows, loggableError } from "@tsunagi/db";
import iconv from "iconv-lite";
import { router, type Services } from "../../context.js";
import { authErrors } from "../../errors.js";
import { filterOf, knownKey, tags } from "./common.js";

/** Rows per fetch: large enough that round trips don't dominate, small enough to bound memory. */
const BATCH = 5000;

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
 * come from agents and the database, and the export must be safe whatever they hold. The exceptions
 * are the start, end and duration, which the database formats itself in a fixed pattern (digits
 * first: never a formula, nothing to quote; `historyCsvRows`). The result cell of each reason and the
 * labels are built once per download, not once per row.
 */
function csvFormatter(lang: Lang, peer: "target" | "source" | "both" | null) {
  const roles = { viewer: csvCell(roleLabel[lang].viewer), client: csvCell(roleLabel[lang].client) };
  const success = csvCell(resultLabel[lang].success);
  const failures = new Map<string, string>();
  const failureCell = (reasonKey: string, reasonCode: number | null): string => {
    const id = `${reasonKey}\u0000${reasonCode}`;
    let text = failures.get(id);
    if (text === undefined) {
      const key = knownKey(reasonKey || null);
      text = csvCell(
        `${resultLabel[lang].failure}${key && key !== "unknown-user" ? csvMessage(key as RecordedReasonKey, lang) : `(${reasonCode ?? "?"})`}`,
      );
      failures.set(id, text);
    }
    return text;
  };
  return (rows: readonly HistoryCsvRow[]): string => {
    let out = "";
    for (const [userName, role, times, sourceAddress, mac, reasonKey, reasonCode, peerUserName] of rows) {
      out += `${csvCell(userName)},${roles[role]},${times},${csvCell(sourceAddress)},${csvCell(mac)},${reasonKey === null ? success : failureCell(reasonKey, reasonCode)}`;
      out += peer ? `,${csvCell(peerUserName)}\r\n` : "\r\n";
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
  const batches = readAhead(historyCsvRows(services.db, contractId, filter, timeZone).cursor(BATCH));
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

export function historyCsvRoute(services: Services) {
  return router().openapi(
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
      const body = historyCsvStream(
        services,
        admin.contractId,
        filterOf(q, admin.contract.historyRetentionMonths, services.clock()),
        {
          timeZone: admin.contract.timeZone,
          lang: q.lang,
          encoding: q.encoding,
          peer:
            q.extended === "target" || q.extended === "source"
              ? q.extended
              : q.extended === "true" || q.extended === "1"
                ? "both"
                : null,
        },
      );
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
