/** A Drizzle database over postgres.js: the one driver and code path for the embedded and external servers. */
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as drizzleMigrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { FLEET_LOCK_CLASS } from "./queries/fleet.js";
import * as schema from "./schema/index.js";

export type Database = ReturnType<typeof drizzle<typeof schema>>;
export type Sql = postgres.Sql;

export interface Connection {
  db: Database;
  sql: Sql;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Pool size; the relay and the API each hold their own pool. */
  max?: number;
  /**
   * Called with the text of every statement the driver sends (postgres.js's `debug` hook): tests count
   * the statements a request costs, since equal work per login outcome is a security property.
   */
  onQuery?: (query: string) => void;
}

/** Opens a pool on `url`. Notices are dropped: they are noise in logs and tests. */
export function connect(url: string, options: ConnectOptions = {}): Connection {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    // Connections are made lazily and retried per query, so a database that drops for a while and
    // comes back needs no restart of the apps.
    connect_timeout: 10,
    ...(options.onQuery ? { debug: (_connection: number, query: string) => options.onQuery?.(query) } : {}),
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

/** The advisory lock migrations run under: the fleet's class, key -1, no relay node's (docs/operations.md). */
const MIGRATION_LOCK = [FLEET_LOCK_CLASS, -1] as const;

/**
 * Applies the committed migrations; safe to run at every start-up, and at once from every program of
 * a fleet: one connection, under an advisory lock, so the second waits and then finds nothing to do
 * (drizzle's migrator takes no lock of its own, and concurrent first runs failed on a new database).
 */
export async function migrate(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK[0]}, ${MIGRATION_LOCK[1]})`;
    await drizzleMigrate(drizzle(sql), { migrationsFolder });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK[0]}, ${MIGRATION_LOCK[1]})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
