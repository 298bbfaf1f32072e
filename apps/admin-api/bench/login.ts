/**
 * Benchmark of the login door: each failed-login outcome's latency over a real socket, against a real
 * server and database (embedded PostgreSQL, or DATABASE_URL), to show that a stopwatch can't tell why
 * a login failed:
 *   pnpm --filter @tsunagi/admin-api bench:login [--runs 40]
 * Outcomes run round-robin (so drift in the machine's load spreads over all of them); prints each
 * one's median and the max/min ratio of the medians (aim ≤ 1.1). A success is printed for reference:
 * it writes the session, so it is not one of the failures compared.
 */
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { connect, migrate, schema } from "@tsunagi/db";
import { ensureDatabase, startEmbedded } from "@tsunagi/db/server";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { eq } from "drizzle-orm";
import { createApp } from "../src/app.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "40" } } });
const runs = Number(values.runs);

const dataDir = await mkdtemp(join(tmpdir(), "tsunagi-bench-login-"));
const server = process.env.DATABASE_URL ? null : await startEmbedded({ dataDir, ephemeral: true });
const url = process.env.DATABASE_URL ?? (server ? server.urlFor("bench_login") : "");
if (server) await ensureDatabase(server.adminUrl, "bench_login");
await migrate(url);
const { db, close } = connect(url, { max: 10 });

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

try {
  const [existing] = await db.select().from(schema.contracts).limit(1);
  if (!existing) await seedDemo(db);
  const never = new Date("2999-01-01T00:00:00Z");
  // asp1: guessed at all run long, so it never locks; neo1: locked throughout; fuji: an allow-list.
  await db
    .update(schema.contracts)
    .set({ lockoutThreshold: 1_000_000 })
    .where(eq(schema.contracts.serverHost, "asp1"));
  await db
    .update(schema.adminAccounts)
    .set({ lockedUntil: never })
    .where(eq(schema.adminAccounts.serverHost, "neo1"));
  await db
    .update(schema.contracts)
    .set({ adminAllowCidrs: ["198.51.100.0/24"], lockoutThreshold: 1_000_000 })
    .where(eq(schema.contracts.serverHost, "fuji"));

  const app = createApp({
    db,
    config: {
      trustedProxies: ["127.0.0.1"],
      loginRateLimitPerAddress: { burst: 1e9, perSecond: 1 },
      loginRateLimitPerName: { burst: 1e9, perSecond: 1 },
    },
  });
  const http = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await once(http, "listening");
  const { port } = http.address() as AddressInfo;
  const RIGHT = DEMO.adminTemporaryPassword;

  const attempt = async (server: string, login: string, password: string, from = "198.51.100.7") => {
    const start = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": from },
      body: JSON.stringify({ server, login, password }),
    });
    await res.arrayBuffer();
    return { ms: performance.now() - start, status: res.status };
  };

  const failures: Record<string, () => ReturnType<typeof attempt>> = {
    "unknown server": () => attempt("nowhere", DEMO.adminLogin, RIGHT),
    "unknown admin": () => attempt("asp1", "no.such.admin", RIGHT),
    "wrong password": () => attempt("asp1", DEMO.adminLogin, "not-the-password"),
    "locked (right password)": () => attempt("neo1", DEMO.neo.adminLogin, RIGHT),
    "outside, right password": () => attempt("fuji", DEMO.fuji.adminLogin, RIGHT, "203.0.113.9"),
    "outside, wrong password": () => attempt("fuji", DEMO.fuji.adminLogin, "not-the-password", "203.0.113.9"),
  };
  const success = () => attempt("fuji", DEMO.fuji.adminLogin, RIGHT);

  // Warm-up: the dummy hash, prepared statements, connections.
  for (const run of [...Object.values(failures), success]) await run();

  const times: Record<string, number[]> = Object.fromEntries(Object.keys(failures).map((k) => [k, []]));
  const successTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [name, run] of Object.entries(failures)) {
      const { ms, status } = await run();
      if (status !== 401) throw new Error(`${name}: expected 401, got ${status}`);
      times[name]?.push(ms);
    }
    const ok = await success();
    if (ok.status !== 200) throw new Error(`success: expected 200, got ${ok.status}`);
    successTimes.push(ok.ms);
  }

  const medians = Object.entries(times).map(([name, xs]) => [name, median(xs)] as const);
  for (const [name, ms] of medians) console.log(`${name.padEnd(26)} median ${ms.toFixed(2)} ms`);
  console.log(`${"success (reference)".padEnd(26)} median ${median(successTimes).toFixed(2)} ms`);
  const ms = medians.map(([, m]) => m);
  console.log(
    `max/min of the failure medians: ${(Math.max(...ms) / Math.min(...ms)).toFixed(3)} over ${runs} runs each (aim ≤ 1.1)`,
  );
  await new Promise<void>((resolve) => http.close(() => resolve()));
} finally {
  await close();
  if (server) await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
