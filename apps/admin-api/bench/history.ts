/**
 * Benchmark of the access history through the app (auth, query, JSON / CSV), on an embedded
 * PostgreSQL (or DATABASE_URL) loaded with the synthetic generator:
 *   pnpm --filter @tsunagi/admin-api bench [--rows 10000000] [--contracts 10] [--runs 40] [--deep 200]
 * Reports p50 / p95 of the first page and of a deep keyset page of a filtered query (viewer rows,
 * failures only), and rows/s and peak RSS of the CSV of one contract's whole history.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hashSecret } from "@tsunagi/core/password";
import { connect, migrate, schema } from "@tsunagi/db";
import { ensureDatabase, startEmbedded } from "@tsunagi/db/server";
import { loadSynthetic } from "@tsunagi/fixtures";
import { createApp } from "../src/app.js";
import { newToken } from "../src/auth.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "10000000" },
    contracts: { type: "string", default: "10" },
    runs: { type: "string", default: "40" },
    deep: { type: "string", default: "200" },
  },
});
const rows = Number(values.rows);
const contracts = Number(values.contracts);
const runs = Number(values.runs);
const deepPages = Number(values.deep);

const dataDir = await mkdtemp(join(tmpdir(), "tsunagi-bench-"));
const server = process.env.DATABASE_URL ? null : await startEmbedded({ dataDir, ephemeral: true });
const url = process.env.DATABASE_URL ?? (server ? server.urlFor("bench") : "");
if (server) await ensureDatabase(server.adminUrl, "bench");
await migrate(url);
const { db, sql, close } = connect(url, { max: 4 });

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

try {
  let t0 = performance.now();
  const loaded = await loadSynthetic(sql, {
    rows,
    contracts,
    usersPerContract: 200,
    serverPrefix: `b${Date.now() % 1e6}-`,
  });
  // As autovacuum would after a load: sets the visibility map the index-only sums rely on.
  await sql`vacuum analyze access_history`;
  console.log(
    `loaded ${rows.toLocaleString()} rows over ${contracts} contracts in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const contractId = loaded.contractIds[0] ?? "";
  const [contract] = await sql<
    { server_host: string }[]
  >`select server_host from contracts where id = ${contractId}`;
  const [admin] = await db
    .insert(schema.adminAccounts)
    .values({
      contractId,
      serverHost: contract?.server_host ?? "",
      loginName: "bench.admin",
      passwordHash: await hashSecret("bench-password"),
      temporaryPassword: false,
    })
    .returning();
  const { token, tokenHash } = newToken();
  await db.insert(schema.adminSessions).values({
    tokenHash,
    adminId: admin?.id ?? "",
    contractId,
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  const app = createApp({ db, config: {} });
  const headers = { authorization: `Bearer ${token}` };
  const filter = "role=viewer&result=failure&limit=100";

  const time = async (path: string) => {
    const start = performance.now();
    const res = await app.request(path, { headers });
    const body = (await res.json()) as { nextCursor: string | null };
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    return { ms: performance.now() - start, next: body.nextCursor };
  };

  const first: number[] = [];
  for (let i = 0; i < runs; i++) first.push((await time(`/history?${filter}`)).ms);

  // Walk to page deepPages + 1, or to the last page when the filter has fewer (the cursor must not
  // fall back to null, or the "deep" page would be the first one again).
  let cursor: string | null = null;
  let depth = 1;
  for (; depth <= deepPages; depth++) {
    const page = await time(`/history?${filter}${cursor ? `&cursor=${cursor}` : ""}`);
    if (!page.next) break;
    cursor = page.next;
  }
  const deep: number[] = [];
  for (let i = 0; i < runs; i++)
    deep.push((await time(`/history?${filter}${cursor ? `&cursor=${cursor}` : ""}`)).ms);

  const [{ n } = { n: 0 }] = await sql<
    { n: number }[]
  >`select count(*)::int as n from access_history where contract_id = ${contractId}`;
  global.gc?.();
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  t0 = performance.now();
  const res = await app.request("/history/csv", { headers });
  let bytes = 0;
  let lines = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.length;
    for (const b of value) if (b === 10) lines++;
  }
  const csvSeconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);

  const mb = (x: number) => `${(x / 1024 / 1024).toFixed(0)} MiB`;
  console.log(
    `first page (viewer failures, 100 rows): p50 ${percentile(first, 50).toFixed(1)} ms, p95 ${percentile(first, 95).toFixed(1)} ms`,
  );
  console.log(
    `deep keyset page (page ${depth}): p50 ${percentile(deep, 50).toFixed(1)} ms, p95 ${percentile(deep, 95).toFixed(1)} ms`,
  );
  console.log(
    `CSV of one contract: ${(lines - 1).toLocaleString()} rows (of ${n.toLocaleString()}), ${mb(bytes)} in ${csvSeconds.toFixed(1)} s = ${Math.round((lines - 1) / csvSeconds).toLocaleString()} rows/s; RSS ${mb(baseRss)} before, peak ${mb(peakRss)}`,
  );
} finally {
  await close();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
}
