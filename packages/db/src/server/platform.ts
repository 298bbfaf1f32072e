/**
 * The platform's database: DATABASE_URL when set, else the embedded server with a `tsunagi`
 * database, created and migrated on first use.
 */
import postgres from "postgres";
import { migrate } from "../client.js";
import { type DatabaseServer, external, startEmbedded } from "./embedded.js";

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

export async function openPlatformDatabase(options: {
  databaseUrl?: string;
  dataDir?: string;
  log?: (line: string) => void;
}): Promise<PlatformDatabase> {
  if (options.databaseUrl) {
    await migrate(options.databaseUrl);
    return { url: options.databaseUrl, server: external(options.databaseUrl) };
  }
  const server = await startEmbedded({ dataDir: options.dataDir, log: options.log });
  try {
    await ensureDatabase(server.adminUrl, PLATFORM_DATABASE);
    const url = server.urlFor(PLATFORM_DATABASE);
    await migrate(url);
    return { url, server };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
