/**
 * Named prepared statements for the hot paths (a login's two round trips, a session's close): Drizzle's
 * `execute` sends every statement unnamed, which postgres.js runs as two round trips — a parse and
 * describe for the parameters' types, then the execution — parsed and planned anew each time. Prepared,
 * a statement costs one round trip (Bind, Execute) once a pooled connection has it, with the plan the
 * server cached. Not exported from the package: the statements stay in the query modules.
 */
import { fillPlaceholders, type SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Database } from "../client.js";

const dialect = new PgDialect();

/** Runs `query` as a named prepared statement on the pool's postgres.js client; its rows as the driver returns them. */
export async function prepared<T>(db: Database, query: SQL): Promise<T[]> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return (await db.$client.unsafe(text, params as never[], { prepare: true })) as unknown as T[];
}

/**
 * A statement built and compiled once, its values written as `sql.placeholder(name)`, then run
 * prepared with each call's values: a login's statements are long, and building and compiling them
 * anew on every attempt cost the relay more than sending them.
 */
export function preparedOnce<T>(
  build: () => SQL,
): (db: Database, values: Record<string, unknown>) => Promise<T[]> {
  let compiled: { sql: string; params: unknown[] } | undefined;
  return async (db, values) => {
    compiled ??= dialect.sqlToQuery(build());
    const params = fillPlaceholders(compiled.params, values);
    return (await db.$client.unsafe(compiled.sql, params as never[], { prepare: true })) as unknown as T[];
  };
}
