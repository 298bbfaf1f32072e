/** Admin (account manager) accounts and their API sessions. */
import { sql } from "drizzle-orm";
import { boolean, index, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { lockoutCounters, timestamps } from "./columns.js";
import { contracts } from "./contracts.js";

export const adminAccounts = pgTable(
  "admin_accounts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    /** Copied from the contract so that login names are unique per server in one index. */
    serverHost: text("server_host").notNull(),
    loginName: text("login_name").notNull(),
    /** argon2id; never the password itself. */
    passwordHash: text("password_hash").notNull(),
    /** Issued on the account sheet: must be changed before anything else. */
    temporaryPassword: boolean("temporary_password").notNull().default(true),
    ...lockoutCounters,
    ...timestamps,
  },
  (t) => [uniqueIndex("admin_accounts_server_login").on(t.serverHost, t.loginName)],
);

export const adminSessions = pgTable(
  "admin_sessions",
  {
    /** sha-256 of the bearer token: a stolen table does not hand out sessions. */
    tokenHash: text("token_hash").primaryKey(),
    adminId: uuid("admin_id")
      .notNull()
      .references(() => adminAccounts.id, { onDelete: "cascade" }),
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp("expires_at", { withTimezone: true })
      .notNull()
      .default(sql`now() + interval '12 hours'`),
  },
  (t) => [index("admin_sessions_admin").on(t.adminId)],
);

export type AdminAccount = typeof adminAccounts.$inferSelect;
export type AdminSession = typeof adminSessions.$inferSelect;
