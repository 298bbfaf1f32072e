/**
 * The admin API's login statements: one read before the hash (the admin and its contract), one atomic
 * write after it (the failure counter and the lock, decided on the row as it is then). Every failed
 * login runs exactly these two, whatever the reason, so the database work tells nobody why it failed.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../client.js";
import { adminAccounts, contracts } from "../schema/index.js";

/** The admin named by (server host part, login name), with its contract; undefined when unknown. */
export async function findAdminForLogin(db: Database, serverHost: string, loginName: string) {
  const [found] = await db
    .select({ admin: adminAccounts, contract: contracts })
    .from(adminAccounts)
    .innerJoin(contracts, eq(contracts.id, adminAccounts.contractId))
    .where(and(eq(adminAccounts.serverHost, serverHost), eq(adminAccounts.loginName, loginName)));
  return found;
}

export interface AdminLoginAttempt {
  serverHost: string;
  loginName: string;
  /**
   * Whether the attempt touches the counter: false for attempts from outside the contract's admin
   * allow-list, which run the same statement but match no row (an outsider cannot lock the admin out).
   */
  counted: boolean;
  passwordOk: boolean;
  /** The hash `passwordOk` was computed against: a password changed meanwhile admits nobody. */
  verifiedHash: string;
  now: Date;
}

/** The counter after the attempt; `admitted` only for a right password on an unlocked account. */
export interface AdminLoginOutcome {
  failedCount: number;
  locked: boolean;
  admitted: boolean;
}

/**
 * Applies one attempt to the admin's failure counter in one statement, under the row lock the update
 * takes, so parallel attempts serialise on the row and none is lost. Mirrors core's
 * `afterPasswordFailure`: a wrong password adds one (locked or not) and, each time the count reaches a
 * multiple of the contract's threshold, locks for its lockout duration from `now`; a right password
 * on an unlocked account resets the count and admits; a right password on a locked one changes
 * nothing and is refused. Null when no row matched (unknown admin or server, or not counted).
 */
export async function recordAdminLogin(
  db: Database,
  attempt: AdminLoginAttempt,
): Promise<AdminLoginOutcome | null> {
  const now = sql`${attempt.now.toISOString()}::timestamptz`;
  const lockedBefore = sql`(a.locked_until is not null and a.locked_until > ${now})`;
  const admits = sql`(${attempt.passwordOk} and a.password_hash = ${attempt.verifiedHash} and not ${lockedBefore})`;
  const rows = await db.execute<{ failed_count: number; locked: boolean; admitted: boolean }>(sql`
    update admin_accounts a
    set
      failed_count = case
        when not ${attempt.passwordOk} then a.failed_count + 1
        when ${admits} then 0
        else a.failed_count
      end,
      locked_until = case
        when not ${attempt.passwordOk} then
          case
            when c.lockout_threshold > 0 and (a.failed_count + 1) % c.lockout_threshold = 0
              then ${now} + make_interval(secs => c.lockout_seconds)
            else a.locked_until
          end
        when ${admits} then null
        else a.locked_until
      end
    from contracts c
    where c.id = a.contract_id
      and a.server_host = ${attempt.serverHost}
      and a.login_name = ${attempt.loginName}
      and ${attempt.counted}
    returning
      a.failed_count,
      (a.locked_until is not null and a.locked_until > ${now}) as locked,
      -- On the row as written: only an admitting attempt leaves a count of 0 and no lock with this hash.
      (${attempt.passwordOk} and a.password_hash = ${attempt.verifiedHash}
        and a.failed_count = 0 and a.locked_until is null) as admitted
  `);
  const [row] = rows;
  return row ? { failedCount: row.failed_count, locked: row.locked, admitted: row.admitted } : null;
}
