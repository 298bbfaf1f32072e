/**
 * The fleet: every relay process sharing this database registers itself as a node (its id, the
 * address other relays reach it on) and holds a session-level advisory lock on its `lock_key` for as
 * long as it lives, so a node whose lock is free is dead (docs/operations.md "Fleet"). The fleet key
 * authenticates the internal links between relays; it is made once, by the first relay, and never
 * leaves the database.
 */
import { sql } from "drizzle-orm";
import { check, customType, integer, pgTable, smallint, text, timestamp } from "drizzle-orm/pg-core";

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

export const relayNodes = pgTable("relay_nodes", {
  /** The relay's instance id, as `active_sessions.relay_instance` names it. */
  id: text("id").primaryKey(),
  /** The advisory lock the node holds while alive: `pg_advisory_lock(FLEET_LOCK_CLASS, lock_key)`. */
  lockKey: integer("lock_key").generatedAlwaysAsIdentity().notNull().unique(),
  /** Where other relays open their internal link to this one (ws:// or wss://). */
  internalUrl: text("internal_url").notNull(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  /** Set when the node starts draining: it takes no new login and sends its agents elsewhere. */
  drainingSince: timestamp("draining_since", { withTimezone: true }),
});

export const fleetKeys = pgTable(
  "fleet_keys",
  {
    /** One row: the key of this database's fleet. */
    id: smallint("id").primaryKey().default(1),
    key: bytea("key").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("fleet_keys_one_row", sql`${t.id} = 1`)],
);

export type RelayNode = typeof relayNodes.$inferSelect;
