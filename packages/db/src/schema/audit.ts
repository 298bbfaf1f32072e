/** Admin audit log: every change an account manager makes, with the state before and after. */
import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { adminAccounts } from "./admins.js";
import { contracts } from "./contracts.js";

export const adminAudit = pgTable(
  "admin_audit",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    adminId: uuid("admin_id").references(() => adminAccounts.id, { onDelete: "set null" }),
    adminLoginName: text("admin_login_name").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    before: jsonb("before"),
    after: jsonb("after"),
  },
  // The log pages newest first by id (GET /audit); read backwards. (.desc() would emit DESC NULLS
  // LAST, which an ORDER BY … DESC cannot use.)
  (t) => [index("admin_audit_contract_id").on(t.contractId, t.id)],
);

export type AdminAuditRow = typeof adminAudit.$inferSelect;
