/**
 * The access history as the CSV download reads it: every row of a filter through one server-side
 * cursor, its times already formatted in the contract's zone.
 */
import type { PendingQuery } from "postgres";
import type { Database } from "../client.js";
import type { AccessHistoryRow } from "../schema/index.js";
import type { HistoryFilter } from "./history.js";

/**
 * One row as the CSV needs it, an array rather than an object (a year of a large contract is millions
 * of rows, and each key costs): the user name; the role; the start, end and duration as three cells
 * the database formats itself (local times in a fixed pattern, digits first, and an integer, so never
 * a formula and never quoted); the source address; the MAC; the reason key (null for a success); its
 * code; the peer.
 */
export type HistoryCsvRow = [
  userName: string,
  role: AccessHistoryRow["role"],
  times: string,
  sourceAddress: string | null,
  mac: string | null,
  reasonKey: string | null,
  reasonCode: number | null,
  peerUserName: string | null,
];

// Local times in the contract's zone, as a spreadsheet shows them (the zone is named in the header),
// formatted by the database to spare a Date per cell.
const LOCAL = "YYYY-MM-DD HH24:MI:SS";

/**
 * Every row of the filter in page order through one server-side cursor: a single query streamed in
 * batches (`.cursor(n)`), rather than a keyset query per batch, which is what makes a million-row CSV
 * take seconds. Same filter semantics as historyPage; the contract condition always comes first.
 */
export function historyCsvRows(
  db: Database,
  contractId: string,
  filter: HistoryFilter,
  timeZone: string,
): PendingQuery<HistoryCsvRow[]> {
  const sql = db.$client;
  const none = sql``;
  // `.values()`: each row as an array in select order (typed as the tuple above).
  return sql`
    select user_name, role,
      to_char(started_at at time zone ${timeZone}, ${LOCAL}) || ',' ||
      coalesce(to_char(ended_at at time zone ${timeZone}, ${LOCAL}), '') || ',' ||
      coalesce(case when result = 'success' and ended_at is not null
        then round(extract(epoch from ended_at - started_at))::int end::text, ''),
      source_address, mac, case when result <> 'success' then coalesce(reason_key, '') end, reason_code,
      peer_user_name
    from access_history
    where contract_id = ${contractId}
      ${filter.role ? sql`and role = ${filter.role}` : none}
      ${filter.result === "success" ? sql`and result = 'success'` : filter.result === "failure" ? sql`and result in ('failure', 'info')` : none}
      ${filter.userName ? sql`and user_name = ${filter.userName}` : none}
      ${filter.from ? sql`and started_at >= ${filter.from.toISOString()}` : none}
      ${filter.to ? sql`and started_at < ${filter.to.toISOString()}` : none}
    order by started_at desc, id desc`.values() as unknown as PendingQuery<HistoryCsvRow[]>;
}
