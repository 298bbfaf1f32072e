/** Contracts: one customer each, on one relay server (host part such as `asp1`), with its security settings. */
import { sql } from "drizzle-orm";
import { integer, pgTable, text, uuid } from "drizzle-orm/pg-core";
import { timestamps } from "./columns.js";
import { modelEnum } from "./enums.js";

export const contracts = pgTable("contracts", {
  id: uuid("id").primaryKey().defaultRandom(),
  /** The contract ID printed on the account sheet, such as `000000`. */
  contractCode: text("contract_code").notNull().unique(),
  name: text("name").notNull(),
  model: modelEnum("model").notNull(),
  /** Host part of the relay server (`asp1` of asp1.example.net); admins log in with it. */
  serverHost: text("server_host").notNull(),
  /** IANA zone the contract's people read times in: the history screen and its CSV show local times. */
  timeZone: text("time_zone").notNull().default("Asia/Tokyo"),
  /** Admin login address allow-list (CIDR); null allows every address. */
  adminAllowCidrs: text("admin_allow_cidrs").array(),
  /** Consecutive failures that lock a user or an admin (ours). */
  lockoutThreshold: integer("lockout_threshold").notNull().default(5),
  lockoutSeconds: integer("lockout_seconds").notNull().default(900),
  adminIdleTimeoutSeconds: integer("admin_idle_timeout_seconds").notNull().default(1800),
  /** Neo: how many devices a user may register unless the user says otherwise. */
  neoDeviceLimit: integer("neo_device_limit").notNull().default(sql`3`),
  /**
   * Months of access history kept before the current one (docs/architecture.md, "History at scale"):
   * older rows are no longer shown, and go when every contract's retention has passed their month.
   */
  historyRetentionMonths: integer("history_retention_months").notNull().default(24),
  ...timestamps,
});

export type Contract = typeof contracts.$inferSelect;
export type NewContract = typeof contracts.$inferInsert;
