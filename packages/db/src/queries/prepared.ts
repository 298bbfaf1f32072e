/**
 * Named prepared statements for the hot paths (a login's two round trips, a session's close): Drizzle's
 * `execute` sends every statement unnamed, which postgres.js runs as two round trips — a parse and
 * describe for the parameters' types, then the execution — parsed and planned anew each time. Prepared,
 * a statement costs one round trip (Bind, Execute) once a pooled connection has it, with the plan the
 * server cached. Not exported from the package: the statements stay in the query modules.
 */
import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { Database } from "../client.js";

const dialect = new PgDialect();

/** Runs `query` as a named prepared statement on the pool's postgres.js client; its rows as the driver returns them. */
export async function prepared<T>(db: Database, query: SQL): Promise<T[]> {
  const { sql: text, params } = dialect.sqlToQuery(query);
  return (await db.$client.unsafe(text, params as never[], { prepare: true })) as unknown as T[];
}
