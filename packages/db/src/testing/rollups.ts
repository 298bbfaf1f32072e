/**
 * The history's connected time read three ways, for tests that check the rollups (0005) against the
 * rows they summarise: the daily rollup, the monthly one, and the ended successes' rows themselves.
 */
import type { Sql } from "postgres";

/** Sums in microseconds, as text (they pass 2^53); null where there is nothing to sum. */
export async function connectedTotals(
  sql: Sql,
): Promise<{ rollup: string | null; monthly: string | null; rows: string | null }> {
  const [sums] = await sql<{ rollup: string | null; monthly: string | null; rows: string | null }[]>`select
    (select sum(connected_micros)::text from access_history_daily) as rollup,
    (select sum(connected_micros)::text from access_history_monthly) as monthly,
    (select sum(access_history_micros(started_at, ended_at))::text from access_history
      where result = 'success' and ended_at is not null) as rows`;
  return sums ?? { rollup: null, monthly: null, rows: null };
}
