/**
 * The platform's database: DATABASE_URL when set, else the embedded server with a `tsunagi`
 * database, created and migrated on first use.
 */
import postgres from "postgres";
import { migrate } from "../client.js";
import { type DatabaseServer, DatabaseStartError, external, startEmbedded } from "./embedded.js";

export const PLATFORM_DATABASE = "tsunagi";

export interface PlatformDatabase {
  url: string;
  server: DatabaseServer;
}

/** Creates `name` on the server unless it exists (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [found] = await sql`select 1 from pg_database where datname = ${name}`;
    if (!found) await sql.unsafe(`create database "${name.replaceAll('"', '""')}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// Failures to reach a server or to be let in: the connection's errno, postgres.js's own timeout, and
// the SQLSTATEs of a refused login (28…), a missing database (3D000) and a server shutting down (57P…).
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
]);
const unreachable = (code: string) =>
  UNREACHABLE.has(code) || code === "CONNECT_TIMEOUT" || /^(28|3D|57P)/.test(code);

/**
 * A failure to reach the database as one line the operator can act on, naming the server (never its
 * password); any other error as it is.
 */
export function reachError(url: string, error: unknown): unknown {
  // Drizzle wraps the driver's error (with the statement) in one of its own: the cause says why.
  const cause = ((error as { cause?: unknown })?.cause ?? error) as { code?: unknown; message?: unknown };
  const code = cause?.code;
  if (typeof code !== "string" || !unreachable(code)) return error;
  const { hostname, port, pathname } = new URL(url);
  const reason = String(cause.message).replace(/postgres(ql)?:\/\/\S*/g, "");
  return new DatabaseStartError(
    `cannot reach the database ${pathname.slice(1)} at ${hostname}:${port || 5432}: ${reason} (${code})`,
  );
}

export async function openPlatformDatabase(options: {
  databaseUrl?: string;
  dataDir?: string;
  log?: (line: string) => void;
  /** Attach to the embedded server the running platform holds on dataDir (the operators' commands). */
  attach?: boolean;
}): Promise<PlatformDatabase> {
  if (options.databaseUrl) {
    const url = options.databaseUrl;
    await migrate(url).catch((error: unknown) => {
      throw reachError(url, error);
    });
    return { url, server: external(url) };
  }
  const server = await startEmbedded({ dataDir: options.dataDir, log: options.log, attach: options.attach });
  try {
    await ensureDatabase(server.adminUrl, PLATFORM_DATABASE);
    const url = server.urlFor(PLATFORM_DATABASE);
    await migrate(url);
    return { url, server };
  } catch (error) {
    await server.stop();
    throw reachError(server.adminUrl, error);
  }
}
