/** Access history: one row per authentication attempt, with its session's end time once it closes. */
import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { contracts } from "./contracts.js";
import { attemptResultEnum, editionEnum, productEnum, roleEnum } from "./enums.js";
import { users } from "./users.js";

export const accessHistory = pgTable(
  "access_history",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    /** The user name as sent; kept when the user is later deleted. */
    userName: text("user_name").notNull(),
    role: roleEnum("role").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    /** A failed attempt has ended_at = started_at; an open session has none yet. */
    endedAt: timestamp("ended_at", { withTimezone: true }),
    sourceAddress: text("source_address"),
    mac: text("mac"),
    result: attemptResultEnum("result").notNull(),
    reasonKey: text("reason_key"),
    reasonCode: integer("reason_code"),
    product: productEnum("product"),
    edition: editionEnum("edition"),
    /** Extended display: the target client of a viewer row, the source viewer of a client row. */
    peerUserName: text("peer_user_name"),
    sessionId: uuid("session_id"),
  },
  (t) => [
    // Keyset paging, newest first. The columns are ascending on purpose: drizzle's .desc() emits
    // DESC NULLS LAST, which `ORDER BY started_at DESC, id DESC` (nulls first) cannot use, so every
    // page became a scan of the whole filter and a sort. An ascending index is read backwards in
    // exactly that order; a filter on role or result is applied while walking it (the planner picks
    // role_result for a rare result, where collecting and sorting the few matches is cheaper).
    index("access_history_keyset").on(t.contractId, t.startedAt, t.id),
    index("access_history_user_keyset").on(t.contractId, t.userName, t.startedAt, t.id),
    index("access_history_role_result_keyset").on(t.contractId, t.role, t.result, t.startedAt, t.id),
    // Each user's cumulative connection time, as an index-only scan: every column the sum reads, and
    // only the successes it sums.
    index("access_history_connected_time")
      .on(t.contractId, t.userName, t.role, t.startedAt, t.endedAt)
      .where(sql`${t.result} = 'success'`),
    index("access_history_open_session").on(t.sessionId).where(sql`${t.endedAt} is null`),
  ],
);

export type AccessHistoryRow = typeof accessHistory.$inferSelect;
export type NewAccessHistoryRow = typeof accessHistory.$inferInsert;
