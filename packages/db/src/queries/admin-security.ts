/** A contract's security settings as account managers read and change them: admin allow-list, lockout, idle timeout. */
import { eq } from "drizzle-orm";
import type { Database } from "../client.js";
import { type Contract, contracts } from "../schema/index.js";

/** The settings a change may set; what is absent stays. */
export type SecuritySettingsPatch = Partial<
  Pick<Contract, "adminAllowCidrs" | "lockoutThreshold" | "lockoutSeconds" | "adminIdleTimeoutSeconds">
>;

/** A contract by id; with `forUpdate`, its row locked until the caller's transaction ends. */
export async function contractById(
  db: Database,
  contractId: string,
  options: { forUpdate?: boolean } = {},
): Promise<Contract | undefined> {
  const query = db.select().from(contracts).where(eq(contracts.id, contractId));
  const [contract] = options.forUpdate ? await query.for("update") : await query;
  return contract;
}

/** Applies `patch` to a contract's security settings; the contract after it, or undefined when gone. */
export async function updateSecuritySettings(
  db: Database,
  contractId: string,
  patch: SecuritySettingsPatch,
  now: Date,
): Promise<Contract | undefined> {
  const [updated] = await db
    .update(contracts)
    .set({ ...patch, updatedAt: now })
    .where(eq(contracts.id, contractId))
    .returning();
  return updated;
}
