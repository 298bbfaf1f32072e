/**
 * The access history: recording attempts, and the filtered, keyset-paged page the admin tools show,
 * each user's cumulative connection time read from the daily rollup (docs/architecture.md, "History
 * at scale").
 */
import type { Role } from "@tsunagi/core/domain";
import { and, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../client.js";
import {
  type AccessHistoryRow,
  accessHistory,
  accessHistoryDaily,
  accessHistoryMonthly,
  accessHistoryOpen,
  type NewAccessHistoryRow,
} from "../schema/index.js";

/** Records one attempt; a success's row is later given its end time when the session closes. */
export async function recordAttempt(db: Database, row: NewAccessHistoryRow): Promise<AccessHistoryRow> {
  const [inserted] = await db.insert(accessHistory).values(row).returning();
  if (!inserted) throw new Error("access history insert returned no row");
  return inserted;
}

export interface HistoryFilter {
  /** Viewer only, client only, or both when absent. */
  role?: Role;
  /** Success only, failure only (the 200200 info rows count as failures, as the service lists them), or all. */
  result?: "success" | "failure";
  userName?: string;
  /** Period on the start time: from inclusive, to exclusive. */
  from?: Date;
  to?: Date;
}

/** Position after the last row of a page, newest first. */
export interface HistoryCursor {
  startedAt: Date;
  id: number;
}

function conditions(contractId: string, filter: HistoryFilter): SQL[] {
  const where: SQL[] = [eq(accessHistory.contractId, contractId)];
  if (filter.role) where.push(eq(accessHistory.role, filter.role));
  if (filter.result === "success") where.push(eq(accessHistory.result, "success"));
  if (filter.result === "failure") where.push(inArray(accessHistory.result, ["failure", "info"]));
  if (filter.userName) where.push(eq(accessHistory.userName, filter.userName));
  if (filter.from) where.push(gte(accessHistory.startedAt, filter.from));
  if (filter.to) where.push(lt(accessHistory.startedAt, filter.to));
  return where;
}

/**
 * Keyset condition: strictly after the cursor in (started_at desc, id desc) order. A row comparison,
 * so the index bounds the scan at the cursor instead of filtering every newer row on the way there;
 * and the plain bound beside it, which the planner can prune the newer month partitions by (it cannot
 * prune by a row comparison).
 */
function after(cursor: HistoryCursor): SQL {
  const at = cursor.startedAt.toISOString();
  return sql`${accessHistory.startedAt} <= ${at}::timestamptz and (${accessHistory.startedAt}, ${accessHistory.id}) < (${at}::timestamptz, ${cursor.id})`;
}

/**
 * The statement behind a page: up to `limit` rows of the filter after `cursor`, newest first.
 * Exported for the test that proves an index gives this order for every filter.
 */
export function historyPageQuery(
  db: Database,
  contractId: string,
  filter: HistoryFilter,
  cursor: HistoryCursor | null,
  limit: number,
) {
  const where = conditions(contractId, filter);
  if (cursor) where.push(after(cursor));
  return db
    .select()
    .from(accessHistory)
    .where(and(...where))
    .orderBy(desc(accessHistory.startedAt), desc(accessHistory.id))
    .limit(limit);
}

/** Up to `limit` rows after `cursor`, and the cursor after them when more follow. */
async function rowsAfter(
  db: Database,
  contractId: string,
  filter: HistoryFilter,
  cursor: HistoryCursor | null,
  limit: number,
) {
  const rows = await historyPageQuery(db, contractId, filter, cursor, limit + 1);
  const more = rows.length > limit;
  if (more) rows.pop();
  const last = rows.at(-1);
  return { rows, nextCursor: more && last ? { startedAt: last.startedAt, id: last.id } : null };
}

export interface HistoryPage {
  rows: AccessHistoryRow[];
  /** Each user on the page with its cumulative connection time over the whole filter, in seconds. */
  users: { userName: string; connectedSeconds: number }[];
  nextCursor: HistoryCursor | null;
}

const DAY_MS = 86_400_000;

/** The first instant (UTC) of the month of `ms`, or of the next month when `up` and `ms` is inside one. */
function monthEdge(ms: number, up: boolean): number {
  const d = new Date(ms);
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  return up && start !== ms ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : start;
}

type Span = [number | undefined, number | undefined];

/**
 * Each of `names`' cumulative connection time over the filter (its result aside), in microseconds: the
 * monthly rollup's whole UTC months inside the period, the daily rollup's whole days around them, the
 * rows of a partly covered first or last day, and the sessions still open (access_history_open),
 * counted up to now. Exact whatever the period; its cost is the page's users' months and at most two
 * months of days, not the history's rows, and it reads the history itself only for partial days.
 */
export function connectedTimeQuery(contractId: string, filter: HistoryFilter, names: readonly string[]) {
  const from = filter.from?.getTime();
  const to = filter.to?.getTime();
  // [from, to) cut into: partial days (rows) | whole days (daily) | whole months (monthly) | whole
  // days | partial days; each end open when the filter's is.
  const dayFrom = from === undefined ? undefined : Math.ceil(from / DAY_MS) * DAY_MS;
  const dayTo = to === undefined ? undefined : Math.floor(to / DAY_MS) * DAY_MS;
  const rowSpans: Span[] = [];
  const daySpans: Span[] = [];
  const monthSpans: Span[] = [];
  if (dayFrom !== undefined && dayTo !== undefined && dayFrom >= dayTo) {
    rowSpans.push([from, to]);
  } else {
    if (from !== undefined && dayFrom !== undefined && from < dayFrom) rowSpans.push([from, dayFrom]);
    if (to !== undefined && dayTo !== undefined && dayTo < to) rowSpans.push([dayTo, to]);
    const monthFrom = dayFrom === undefined ? undefined : monthEdge(dayFrom, true);
    const monthTo = dayTo === undefined ? undefined : monthEdge(dayTo, false);
    if (monthFrom !== undefined && monthTo !== undefined && monthFrom >= monthTo) {
      daySpans.push([dayFrom, dayTo]);
    } else {
      monthSpans.push([monthFrom, monthTo]);
      if (dayFrom !== undefined && monthFrom !== undefined && dayFrom < monthFrom)
        daySpans.push([dayFrom, monthFrom]);
      if (dayTo !== undefined && monthTo !== undefined && monthTo < dayTo) daySpans.push([monthTo, dayTo]);
    }
  }
  // One array parameter however many names: the statement's text, and so its prepared plan, is the
  // same for every page.
  const nameList = sql`${sql.param([...names])}::text[]`;
  const iso = (ms: number) => new Date(ms).toISOString();
  const date = (ms: number) => sql`${iso(ms).slice(0, 10)}::date`;
  const h = accessHistory;
  const d = accessHistoryDaily;
  const m = accessHistoryMonthly;
  const role = filter.role;
  const parts: SQL[] = [];
  for (const [lo, hi] of monthSpans) {
    parts.push(sql`select ${m.userName} as user_name, ${m.connectedMicros} as micros from ${m}
      where ${m.contractId} = ${contractId} and ${m.userName} = any(${nameList})
      ${role ? sql`and ${m.role} = ${role}` : sql``}
      ${lo !== undefined ? sql`and ${m.month} >= ${date(lo)}` : sql``}
      ${hi !== undefined ? sql`and ${m.month} < ${date(hi)}` : sql``}`);
  }
  for (const [lo, hi] of daySpans) {
    parts.push(sql`select ${d.userName} as user_name, ${d.connectedMicros} as micros from ${d}
      where ${d.contractId} = ${contractId} and ${d.userName} = any(${nameList})
      ${role ? sql`and ${d.role} = ${role}` : sql``}
      ${lo !== undefined ? sql`and ${d.day} >= ${date(lo)}` : sql``}
      ${hi !== undefined ? sql`and ${d.day} < ${date(hi)}` : sql``}`);
  }
  for (const [lo, hi] of rowSpans) {
    parts.push(sql`select ${h.userName} as user_name, access_history_micros(${h.startedAt}, ${h.endedAt}) as micros
      from ${h}
      where ${h.contractId} = ${contractId} and ${h.userName} = any(${nameList})
      and ${h.result} = 'success' and ${h.endedAt} is not null
      ${role ? sql`and ${h.role} = ${role}` : sql``}
      ${lo !== undefined ? sql`and ${h.startedAt} >= ${iso(lo)}::timestamptz` : sql``}
      ${hi !== undefined ? sql`and ${h.startedAt} < ${iso(hi)}::timestamptz` : sql``}`);
  }
  const o = accessHistoryOpen;
  parts.push(sql`select ${o.userName} as user_name, access_history_micros(${o.startedAt}, greatest(now(), ${o.startedAt})) as micros
    from ${o}
    where ${o.contractId} = ${contractId} and ${o.userName} = any(${nameList})
    ${role ? sql`and ${o.role} = ${role}` : sql``}
    ${from !== undefined ? sql`and ${o.startedAt} >= ${iso(from)}::timestamptz` : sql``}
    ${to !== undefined ? sql`and ${o.startedAt} < ${iso(to)}::timestamptz` : sql``}`);
  return sql`select user_name as "userName", sum(micros)::text as micros
    from (${sql.join(parts, sql` union all `)}) as t group by user_name`;
}

/** Each of `names`' cumulative connection time over the filter, in whole seconds. */
export async function connectedSeconds(
  db: Database,
  contractId: string,
  filter: HistoryFilter,
  names: readonly string[],
): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const rows = (await db.execute(connectedTimeQuery(contractId, filter, names))) as unknown as {
    userName: string;
    micros: string | null;
  }[];
  return new Map(rows.map((r) => [r.userName, Math.round(Number(r.micros ?? 0) / 1e6)]));
}

/**
 * One page of history, newest first. Keyset paging keeps a deep page as fast as the first; the
 * cumulative times are the page's users' over the whole filter, from the rollup.
 */
export async function historyPage(
  db: Database,
  contractId: string,
  filter: HistoryFilter,
  options: { limit: number; cursor?: HistoryCursor | null },
): Promise<HistoryPage> {
  const { rows, nextCursor } = await rowsAfter(db, contractId, filter, options.cursor ?? null, options.limit);
  const names = [...new Set(rows.map((r) => r.userName))];
  const seconds = await connectedSeconds(db, contractId, filter, names);
  return {
    rows,
    users: names.map((userName) => ({ userName, connectedSeconds: seconds.get(userName) ?? 0 })),
    nextCursor,
  };
}

/**
 * Every row of a filter in page order, fetched in keyset batches, for a streamed CSV download:
 * memory stays at one batch however long the history.
 */
export async function* historyRows(
  db: Database,
  contractId: string,
  filter: HistoryFilter,
  batchSize = 5000,
): AsyncGenerator<AccessHistoryRow> {
  let cursor: HistoryCursor | null = null;
  do {
    const page: Awaited<ReturnType<typeof rowsAfter>> = await rowsAfter(
      db,
      contractId,
      filter,
      cursor,
      batchSize,
    );
    yield* page.rows;
    cursor = page.nextCursor;
  } while (cursor);
}
