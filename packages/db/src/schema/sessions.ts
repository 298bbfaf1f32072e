/**
 * Active sessions, one viewer and one client per user at most, held by a lease: a session whose
 * heartbeat is older than the stale window (one minute) may be taken over by a new login.
 */
import { bigint, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { contracts } from "./contracts.js";
import { roleEnum } from "./enums.js";
import { users } from "./users.js";

export const activeSessions = pgTable(
  "active_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    userName: text("user_name").notNull(),
    role: roleEnum("role").notNull(),
    sourceAddress: text("source_address"),
    /** Which relay process holds the socket, so a disconnect request reaches the right one. */
    relayInstance: text("relay_instance").notNull(),
    historyId: bigint("history_id", { mode: "number" }).notNull(),
    peerUserName: text("peer_user_name"),
    openedAt: timestamp("opened_at", { withTimezone: true }).notNull().defaultNow(),
    lastHeartbeatAt: timestamp("last_heartbeat_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set by an admin's disconnect; the holding relay closes the socket when it sees it. */
    disconnectRequestedAt: timestamp("disconnect_requested_at", { withTimezone: true }),
    /**
     * The user's `access_epoch` this session was admitted (or last re-judged) under; behind the
     * user's, the session is ended at its next heartbeat.
     */
    accessEpoch: integer("access_epoch").notNull().default(0),
  },
  (t) => [
    uniqueIndex("active_sessions_user_role").on(t.userId, t.role),
    index("active_sessions_contract").on(t.contractId),
    // The reaper ends a dead relay's sessions by its instance id (queries/fleet.ts).
    index("active_sessions_relay").on(t.relayInstance),
  ],
);

export type ActiveSession = typeof activeSessions.$inferSelect;
