/**
 * Access history: one row per authentication attempt, with its session's end time once it closes;
 * and its rollups, each user's connection time per role and day, and per role and month, and the
 * sessions still open.
 *
 * `access_history` is partitioned by month of `started_at` (UTC) in PostgreSQL, which drizzle cannot
 * declare: migration 0005 creates it (and its partitions, the rollup's trigger and the maintenance
 * functions) by hand; the table below is what drizzle sees, and its indexes are created on the parent,
 * so every partition has them. docs/architecture.md, "History at scale".
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { contracts } from "./contracts.js";
import { attemptResultEnum, editionEnum, productEnum, roleEnum } from "./enums.js";
import { users } from "./users.js";

export const accessHistory = pgTable(
  "access_history",
  {
    id: bigint("id", { mode: "number" }).notNull().generatedAlwaysAsIdentity(),
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
    // A partitioned table's key must hold its partition key; the id alone stays unique (identity).
    primaryKey({ columns: [t.id, t.startedAt] }),
    // Keyset paging, newest first. The columns are ascending on purpose: drizzle's .desc() emits
    // DESC NULLS LAST, which `ORDER BY started_at DESC, id DESC` (nulls first) cannot use, so every
    // page became a scan of the whole filter and a sort. An ascending index is read backwards in
    // exactly that order; a filter on role or result is applied while walking it (the planner picks
    // role_result for a rare result, where collecting and sorting the few matches is cheaper).
    index("access_history_keyset").on(t.contractId, t.startedAt, t.id),
    index("access_history_user_keyset").on(t.contractId, t.userName, t.startedAt, t.id),
    index("access_history_role_result_keyset").on(t.contractId, t.role, t.result, t.startedAt, t.id),
    index("access_history_open_session").on(t.sessionId).where(sql`${t.endedAt} is null`),
  ],
);

/**
 * The rollup: per contract, user name, day (UTC, of the session's start) and role, the connection
 * time of the ended successful sessions, in microseconds so that its sums equal the rows' exactly.
 * Kept by the trigger `access_history_rollup` on every insert, update and delete of a history row, in
 * that row's transaction, so it is never stale, whichever query ends a session; a retention drop
 * deletes the days of the partitions it drops.
 */
export const accessHistoryDaily = pgTable(
  "access_history_daily",
  {
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    userName: text("user_name").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    role: roleEnum("role").notNull(),
    connectedMicros: bigint("connected_micros", { mode: "number" }).notNull().default(0),
    sessions: integer("sessions").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.contractId, t.userName, t.day, t.role] })],
);

/**
 * The rollup by month (UTC, of the session's start), kept by the same trigger beside the daily one: a
 * period's whole months are read here, so a user's time over two years is some fifty rows, not seven
 * hundred.
 */
export const accessHistoryMonthly = pgTable(
  "access_history_monthly",
  {
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    userName: text("user_name").notNull(),
    /** The month's first day. */
    month: date("month", { mode: "string" }).notNull(),
    role: roleEnum("role").notNull(),
    connectedMicros: bigint("connected_micros", { mode: "number" }).notNull().default(0),
    sessions: integer("sessions").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.contractId, t.userName, t.month, t.role] })],
);

export type AccessHistoryRow = typeof accessHistory.$inferSelect;
export type NewAccessHistoryRow = typeof accessHistory.$inferInsert;

/**
 * The history rows of the sessions still open (a success not yet given its end time), kept by the
 * same trigger: each counts up to now in its user's cumulative time, and reading them here rather
 * than from every month's partition keeps a page's sums off the history.
 */
export const accessHistoryOpen = pgTable(
  "access_history_open",
  {
    historyId: bigint("history_id", { mode: "number" }).primaryKey(),
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    userName: text("user_name").notNull(),
    role: roleEnum("role").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("access_history_open_user").on(t.contractId, t.userName)],
);
