/**
 * Vitest global setup: one PostgreSQL server per test run (embedded in a temporary directory, or the
 * server of DATABASE_URL) with a migrated template database that each test file clones.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { TestProject } from "vitest/node";
import { migrate } from "../client.js";
import { type DatabaseServer, external, startEmbedded } from "../server/embedded.js";
import { readDbEnv } from "../server/env.js";

declare module "vitest" {
  export interface ProvidedContext {
    tsunagiDbAdminUrl: string;
    tsunagiDbTemplate: string;
    tsunagiDbPrefix: string;
  }
}

export default async function setup(project: TestProject) {
  const prefix = `t_${randomBytes(4).toString("hex")}`;
  let server: DatabaseServer;
  let dataDir: string | undefined;
  const url = readDbEnv().DATABASE_URL;
  if (url) {
    server = external(url);
  } else {
    dataDir = await mkdtemp(join(tmpdir(), "tsunagi-test-db-"));
    server = await startEmbedded({ dataDir, ephemeral: true });
  }
  const template = `${prefix}_template`;
  const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
  const [{ version } = { version: "?" }] = await admin`select current_setting('server_version') as version`;
  const where = new URL(server.adminUrl);
  // One line in the log says which server the run used: CI runs the suite on both.
  process.stderr.write(
    `test database: ${server.embedded ? "embedded" : "external"} PostgreSQL ${version} at ${where.hostname}:${where.port}\n`,
  );
  await admin.unsafe(`create database "${template}"`);
  await migrate(server.urlFor(template));
  project.provide("tsunagiDbAdminUrl", server.adminUrl);
  project.provide("tsunagiDbTemplate", template);
  project.provide("tsunagiDbPrefix", prefix);

  return async () => {
    // On an external server, leave nothing behind: every database this run made starts with prefix.
    const made = await admin`select datname from pg_database where datname like ${`${prefix}_%`}`;
    for (const { datname } of made) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    await admin.end({ timeout: 5 });
    await server.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
}
