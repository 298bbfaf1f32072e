/**
 * Test databases: each test file gets its own database, cloned from the run's migrated template
 * (see global-setup.ts, which a package's vitest config names as its globalSetup).
 */
import { randomBytes } from "node:crypto";
import { beforeAndAfterAll } from "@tsunagi/core/testing";
import postgres from "postgres";
import { inject } from "vitest";
import { type Connection, connect } from "../client.js";

export interface TestDatabase extends Connection {
  /** URL of this test's database, for apps started by the test. */
  url: string;
  name: string;
}

function urlFor(adminUrl: string, name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, migrated, empty database; dropped with the run (and by close()). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("tsunagiDbAdminUrl");
  const template = inject("tsunagiDbTemplate");
  const name = `${inject("tsunagiDbPrefix")}_${randomBytes(5).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" template "${template}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = urlFor(adminUrl, name);
  const connection = connect(url, { max: 10 });
  return {
    ...connection,
    url,
    name,
    async close() {
      await connection.close();
      const drop = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await drop.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await drop.end({ timeout: 5 });
      }
    },
  };
}

/**
 * The test file's database, made before its tests (then `prepare`d, e.g. seeded) and dropped after
 * them. Read it inside a test or a hook.
 */
export function useTestDatabase(prepare?: (t: TestDatabase) => Promise<unknown>): TestDatabase {
  return beforeAndAfterAll(
    async () => {
      const t = await createTestDatabase();
      await prepare?.(t);
      return t;
    },
    (t) => t.close(),
  );
}

export const globalSetupPath = new URL("./global-setup.ts", import.meta.url).pathname;
export * from "./nodes.js";
export * from "./rollups.js";
export * from "./statements.js";
