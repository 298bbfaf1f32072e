/**
 * A second pool on a test database whose every statement is reported as it is sent, for tests that
 * prove two paths cost the same database work by counting statements (timing flakes on a loaded
 * machine). The text is reported without its parameters: the statement's shape, not its values.
 */
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import type { Connection } from "../client.js";
import * as schema from "../schema/index.js";

export function connectCountingStatements(url: string, onStatement: (text: string) => void): Connection {
  const sql = postgres(url, {
    max: 10,
    onnotice: () => {},
    debug: (_connection, query) => onStatement(query.replace(/\s+/g, " ").trim()),
  });
  return { db: drizzle(sql, { schema }), sql, close: () => sql.end({ timeout: 5 }) };
}
