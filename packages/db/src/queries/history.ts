/** The access history: recording attempts, and the filtered, keyset-paged page the admin tools show. */
import type { Role } from "@tsunagi/core/domain";
import { and, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { Database } from "../client.js";
import { type AccessHistoryRow, accessHistory, type NewAccessHistoryRow } from "../schema/index.js";

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
 * so the index bounds the scan at the cursor instead of filtering every newer row on the way there.
 */
function after(cursor: HistoryCursor): SQL {
  return sql`(${accessHistory.startedAt}, ${accessHistory.id}) < (${cursor.startedAt.toISOString()}::timestamptz, ${cursor.id})`;
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

/**
 * One page of history, newest first. Keyset paging keeps a deep page as fast as the first; the
 * cumulative times are summed in SQL over the whole filter, not just the page.
 */
export async function historyPage(
  db: Database,
  contractId: string,
  filter: HistoryFilter,
  options: { limit: number; cursor?: HistoryCursor | null },
): Promise<HistoryPage> {
  const { rows, nextCursor } = await rowsAfter(db, contractId, filter, options.cursor ?? null, options.limit);
  const names = [...new Set(rows.map((r) => r.userName))];
  const users = names.length
    ? await db
        .select({
          userName: accessHistory.userName,
          // Summing intervals and converting once is several times cheaper per row than converting each.
          connectedSeconds: sql<number>`coalesce(extract(epoch from sum(coalesce(${accessHistory.endedAt}, now()) - ${accessHistory.startedAt})), 0)::float8`,
        })
        .from(accessHistory)
        .where(
          and(
            ...conditions(contractId, { ...filter, result: undefined }),
            eq(accessHistory.result, "success"),
            inArray(accessHistory.userName, names),
          ),
        )
        .groupBy(accessHistory.userName)
    : [];
  const seconds = new Map(users.map((u) => [u.userName, Math.round(Number(u.connectedSeconds))]));
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
