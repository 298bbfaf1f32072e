/** The admin audit log: writing an entry in the change's own transaction, and reading it newest first. */
import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Database } from "../client.js";
import { type AdminAuditRow, adminAudit } from "../schema/index.js";

/** Writes one audit entry; run it in the transaction of the change it records. */
export async function insertAuditEntry(db: Database, entry: typeof adminAudit.$inferInsert): Promise<void> {
  await db.insert(adminAudit).values(entry);
}

/** One page of a contract's audit log, newest first, before the entry `beforeId`. */
export async function auditPage(
  db: Database,
  contractId: string,
  options: { beforeId?: number; limit: number },
): Promise<{ entries: AdminAuditRow[]; more: boolean }> {
  const where: SQL[] = [eq(adminAudit.contractId, contractId)];
  if (options.beforeId !== undefined) where.push(lt(adminAudit.id, options.beforeId));
  const rows = await db
    .select()
    .from(adminAudit)
    .where(and(...where))
    .orderBy(desc(adminAudit.id))
    .limit(options.limit + 1);
  const more = rows.length > options.limit;
  if (more) rows.pop();
  return { entries: rows, more };
}
