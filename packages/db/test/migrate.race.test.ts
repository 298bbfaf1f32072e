/**
 * Every program of a fleet migrates at start-up, and a fleet's programs start together: migrations run
 * at once against a new, empty database all succeed, and leave it migrated once.
 */
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { expect, inject, it } from "vitest";
import { migrate } from "../src/client.js";

it("four programs migrating a new database at once all succeed", async () => {
  const adminUrl = inject("tsunagiDbAdminUrl");
  const name = `${inject("tsunagiDbPrefix")}_m${randomBytes(4).toString("hex")}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const results = await Promise.allSettled([1, 2, 3, 4].map(() => migrate(url.toString())));
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      const applied = await db`select count(*)::int as n from drizzle.__drizzle_migrations`;
      const tables = await db`select count(*)::int as n from pg_tables where tablename = 'relay_nodes'`;
      expect(applied[0]?.n).toBeGreaterThanOrEqual(5);
      expect(tables[0]?.n).toBe(1);
    } finally {
      await db.end({ timeout: 5 });
    }
  } finally {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end({ timeout: 5 });
  }
});
