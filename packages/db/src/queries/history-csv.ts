/**
 * The access history as the CSV download reads it: every row of a filter through one server-side
 * cursor, its times already formatted in the contract's zone.
 */
import type { Database } from "../client.js";
import type { AccessHistoryRow } from "../schema/index.js";
import type { HistoryFilter } from "./history.js";

/** The columns the CSV needs. */
export type HistoryCsvRow = Pick<
  AccessHistoryRow,
  "userName" | "role" | "sourceAddress" | "mac" | "result" | "reasonKey" | "reasonCode" | "peerUserName"
> & { startedAt: string; endedAt: string | null; durationSeconds: number | null };

// Local times in the contract's zone, as a spreadsheet shows them (the zone is named in the header),
// formatted by the database to spare a Date per cell.
const LOCAL = "YYYY-MM-DD HH24:MI:SS";

/**
 * Every row of the filter in page order through one server-side cursor: a single query streamed in
 * batches (`.cursor(n)`), rather than a keyset query per batch, which is what makes a million-row CSV
 * take seconds. Same filter semantics as historyPage; the contract condition always comes first.
 */
export function historyCsvRows(db: Database, contractId: string, filter: HistoryFilter, timeZone: string) {
  const sql = db.$client;
  const none = sql``;
  return sql<HistoryCsvRow[]>`
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
