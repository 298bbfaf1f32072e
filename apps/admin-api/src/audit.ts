/**
 * The admin audit log: every change an account manager makes, written in the change's own
 * transaction with the state before and after. Password hashes never enter it; a password change
 * is recorded as `"password": "changed"`.
 */
import { type Database, insertAuditEntry } from "@tsunagi/db";
import type { AdminContext } from "./context.js";

/** Drizzle's transaction handle; the shared queries take it where they take a database. */
export type Tx = Parameters<Parameters<Database["transaction"]>[0]>[0];

/** The shared queries are typed on Database; a transaction runs the same builders. */
export const asDb = (tx: Tx) => tx as unknown as Database;

const secretKeys = new Set(["passwordHash", "password", "tokenHash"]);

/** A row as the audit log may keep it: secrets dropped, dates as ISO strings. */
export function auditable(row: object | null | undefined): Record<string, unknown> | null {
  if (!row) return null;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (secretKeys.has(key)) continue;
    out[key] = value instanceof Date ? value.toISOString() : value;
  }
  return out;
}

export async function writeAudit(
  tx: Tx,
  admin: Pick<AdminContext, "adminId" | "login" | "contractId">,
  entry: { action: string; targetType: string; targetId?: string | null; before?: unknown; after?: unknown },
): Promise<void> {
  await insertAuditEntry(asDb(tx), {
    contractId: admin.contractId,
    adminId: admin.adminId,
    adminLoginName: admin.login,
    action: entry.action,
    targetType: entry.targetType,
    targetId: entry.targetId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
  });
}
