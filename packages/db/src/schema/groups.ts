/** Grouping: explicit viewer → client links beyond the standard connection (same user name). */
import { index, pgTable, primaryKey, timestamp, uuid } from "drizzle-orm/pg-core";
import { contracts } from "./contracts.js";
import { users } from "./users.js";

export const groupLinks = pgTable(
  "group_links",
  {
    contractId: uuid("contract_id")
      .notNull()
      .references(() => contracts.id, { onDelete: "cascade" }),
    viewerUserId: uuid("viewer_user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    clientUserId: uuid("client_user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.viewerUserId, t.clientUserId] }),
    index("group_links_client").on(t.clientUserId),
  ],
);

export type GroupLink = typeof groupLinks.$inferSelect;
