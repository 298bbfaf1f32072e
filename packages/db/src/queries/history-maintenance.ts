/**
 * The access history's partitions over time: the month partitions made ahead of the rows that will
 * fill them, and retention enforced by dropping whole months, the rollup's days with them
 * (docs/architecture.md, "History at scale"). `maintainHistory` is one pass; `startHistoryMaintenance`
 * runs a pass at once and then every hour, and the admin API starts it.
 */
import { sql } from "drizzle-orm";
import type { Database } from "../client.js";

/** Months made ahead of the current one: maintenance may stop for that long before a row falls into the default partition. */
export const HISTORY_MONTHS_AHEAD = 3;
/** A contract's retention unless set otherwise (the column's default): months kept before the current one. */
export const DEFAULT_HISTORY_RETENTION_MONTHS = 24;

// One maintainer at a time across every process on the database (advisory lock class "tsnh", key 0).
const MAINTENANCE_LOCK_CLASS = 0x74736e68;

/** The first instant (UTC) of the month `months` after the month of `at`. */
export function monthStart(at: Date, months = 0): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}

/**
 * The oldest instant a contract with `retentionMonths` shows: the start of the month that many months
 * before the current one. Older rows are hidden at once, and dropped when every contract's retention
 * has passed their month.
 */
export function historyKeptFrom(retentionMonths: number, now = new Date()): Date {
  return monthStart(now, -retentionMonths);
}

export interface HistoryPartition {
  name: string;
  /** Its month, [from, to); both null for the default partition (never dropped). */
  from: Date | null;
  to: Date | null;
}

/**
 * The history's partitions, oldest month first, the default one (and any not named for its month)
 * last. A month's bounds are read from its name, as `access_history_ensure_month` gives it: the bound
 * expression's text is in the session's time zone, which no Date parses reliably.
 */
export async function historyPartitions(db: Database): Promise<HistoryPartition[]> {
  const rows = (await db.execute(sql`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'access_history'::regclass
  `)) as unknown as { name: string }[];
  const parts = rows.map(({ name }) => {
    const m = /^access_history_(\d{4})_(\d{2})$/.exec(name);
    if (!m) return { name, from: null, to: null };
    const from = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
    return { name, from, to: monthStart(from, 1) };
  });
  return parts.sort((a, b) => (a.from?.getTime() ?? Infinity) - (b.from?.getTime() ?? Infinity));
}

/**
 * Makes the month partitions covering [from, to] that are missing (rows the default partition caught
 * for them move in). Each month in its own short transaction.
 */
export async function ensureHistoryPartitions(
  db: Database,
  from: Date,
  to: Date,
  options: { lockTimeoutMs?: number } = {},
): Promise<string[]> {
  const made: string[] = [];
  const existing = new Set((await historyPartitions(db)).map((p) => p.name));
  for (let m = monthStart(from); m <= to; m = monthStart(m, 1)) {
    const name = partitionName(m);
    if (existing.has(name)) continue;
    await db.transaction(async (tx) => {
      if (options.lockTimeoutMs)
        await tx.execute(sql.raw(`set local lock_timeout = ${Math.floor(options.lockTimeoutMs)}`));
      await tx.execute(sql`select access_history_ensure_month(${m.toISOString()}::timestamptz)`);
    });
    made.push(name);
  }
  return made;
}

function partitionName(month: Date): string {
  return `access_history_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

export interface MaintenanceResult {
  /** Partitions made: the months ahead, and months the default partition had caught rows of. */
  created: string[];
  /** Partitions dropped by retention, with their rollup days. */
  dropped: string[];
  /** Steps that could not take their lock in time (a long export holding the table): tried next pass. */
  busy: string[];
  /** False when another process's pass held the maintenance lock: this one did nothing. */
  ran: boolean;
}

/**
 * One maintenance pass: the months from the current one to HISTORY_MONTHS_AHEAD ahead exist, rows the
 * default partition caught are moved into their months, and every month older than the longest
 * retention of any contract is dropped with its rollup days, in one transaction each.
 *
 * Making a month attaches a table of its own, which takes only a SHARE UPDATE EXCLUSIVE lock on the
 * history (neither reads nor writes wait for it) and an exclusive one on the default partition;
 * dropping a month takes the history's exclusive lock. Each step waits at most `lockTimeoutMs` (one
 * second) for its locks (a CSV export reading the table holds them off) and is otherwise left for the
 * next pass: what waits behind it meanwhile (a drop's wait holds up logins too) waits no longer.
 */
export async function maintainHistory(
  db: Database,
  options: { now?: Date; monthsAhead?: number; lockTimeoutMs?: number } = {},
): Promise<MaintenanceResult> {
  const now = options.now ?? new Date();
  const lockTimeoutMs = options.lockTimeoutMs ?? 1000;
  const result: MaintenanceResult = { created: [], dropped: [], busy: [], ran: false };
  const reserved = await db.$client.reserve();
  try {
    const [lock] = await reserved`select pg_try_advisory_lock(${MAINTENANCE_LOCK_CLASS}, 0) as mine`;
    if (!lock?.mine) return result;
    result.ran = true;
    try {
      const caught = await reserved<{ month: Date }[]>`
        select distinct date_trunc('month', started_at at time zone 'UTC') at time zone 'UTC' as month
        from access_history_default`;
      const months = [
        ...caught.map((c) => new Date(c.month)),
        ...Array.from({ length: (options.monthsAhead ?? HISTORY_MONTHS_AHEAD) + 1 }, (_, i) =>
          monthStart(now, i),
        ),
      ];
      const existing = new Set((await historyPartitions(db)).map((p) => p.name));
      for (const month of months) {
        const name = partitionName(month);
        if (existing.has(name)) continue;
        existing.add(name);
        if (
          await step(
            reserved,
            lockTimeoutMs,
            (tx) => tx`select access_history_ensure_month(${month.toISOString()}::timestamptz)`,
          )
        )
          result.created.push(name);
        else result.busy.push(name);
      }

      const [longest] = await reserved<{ months: number }[]>`
        select coalesce(max(history_retention_months), ${DEFAULT_HISTORY_RETENTION_MONTHS})::int as months
        from contracts`;
      const keepFrom = historyKeptFrom(longest?.months ?? DEFAULT_HISTORY_RETENTION_MONTHS, now);
      for (const part of await historyPartitions(db)) {
        if (!part.to || !part.from || part.to > keepFrom) continue;
        const from = part.from.toISOString().slice(0, 10);
        const to = part.to.toISOString().slice(0, 10);
        const [start, end] = [part.from.toISOString(), part.to.toISOString()];
        const dropped = await step(reserved, lockTimeoutMs, async (tx) => {
          await tx.unsafe(`drop table "${part.name}"`);
          await tx`delete from access_history_daily where day >= ${from}::date and day < ${to}::date`;
          await tx`delete from access_history_monthly where month >= ${from}::date and month < ${to}::date`;
          await tx`delete from access_history_open
            where started_at >= ${start}::timestamptz and started_at < ${end}::timestamptz`;
        });
        if (dropped) result.dropped.push(part.name);
        else result.busy.push(part.name);
      }
    } finally {
      await reserved`select pg_advisory_unlock(${MAINTENANCE_LOCK_CLASS}, 0)`;
    }
  } finally {
    reserved.release();
  }
  return result;
}

type Reserved = Awaited<ReturnType<Database["$client"]["reserve"]>>;

/** Runs `work` in a transaction that waits at most `lockTimeoutMs` for a lock; false when it could not. */
async function step(
  reserved: Reserved,
  lockTimeoutMs: number,
  work: (tx: Reserved) => Promise<unknown>,
): Promise<boolean> {
  await reserved`begin`;
  try {
    await reserved.unsafe(`set local lock_timeout = ${Math.max(1, Math.floor(lockTimeoutMs))}`);
    await work(reserved);
    await reserved`commit`;
    return true;
  } catch (error) {
    await reserved`rollback`;
    // lock_not_available: the lock_timeout passed.
    if ((error as { code?: unknown }).code === "55P03") return false;
    throw error;
  }
}

/**
 * Runs `maintainHistory` now and then every `intervalMs` (an hour) until stopped; a failed pass is
 * reported to `onError` and tried again at the next.
 */
export function startHistoryMaintenance(
  db: Database,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const pass = () => {
    running = maintainHistory(db).catch((error) => options.onError?.(error));
  };
  pass();
  const timer = setInterval(pass, options.intervalMs ?? 3_600_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
