/**
 * Benchmark of the access history at scale through the app (auth, query, JSON / CSV), on an embedded
 * PostgreSQL (or DATABASE_URL's server), in one run: a history of `--small` rows (100k) and one of
 * `--rows` rows (10M), each in a database of its own loaded by the synthetic generator:
 *   pnpm --filter @tsunagi/admin-api bench [--rows 10000000] [--small 100000] [--contracts 10]
 *     [--runs 40] [--deep 50] [--csv-encodings utf-8,shift_jis]
 * For each query the page runs (first page, a deep keyset page, one user, failures only, a period,
 * clients only; each on the first contract, a tenth of the history), p50 and p95 at both sizes and
 * their ratio (docs/architecture.md, "History at scale": aim ≤ 1.5); the load's rows/s; and for the
 * CSV of the first contract's year (UTF-8 and Shift_JIS), rows/s and peak RSS.
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
    small: { type: "string", default: "100000" },
    contracts: { type: "string", default: "10" },
    runs: { type: "string", default: "40" },
    deep: { type: "string", default: "50" },
    "csv-encodings": { type: "string", default: "utf-8,shift_jis" },
  },
});
const runs = Number(values.runs);
const deepPages = Number(values.deep);
const contracts = Number(values.contracts);
const encodings = (values["csv-encodings"] ?? "").split(",").filter(Boolean) as ("utf-8" | "shift_jis")[];
const UNTIL = new Date("2026-11-22T00:00:00Z");

const dataDir = await mkdtemp(join(tmpdir(), "tsunagi-bench-"));
const server = process.env.DATABASE_URL ? null : await startEmbedded({ dataDir, ephemeral: true });

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const mib = (x: number) => `${(x / 1024 / 1024).toFixed(0)} MiB`;

/** The queries of the history page, as the TUI sends them. */
const day = 86_400_000;
const queries: [string, string][] = [
  ["first page", "limit=100"],
  ["deep keyset page", "limit=100"],
  ["one user", "user=user7&limit=100"],
  ["failures only", "result=failure&limit=100"],
  [
    "a period (30 days)",
    `from=${new Date(UNTIL.getTime() - 60 * day).toISOString()}&to=${new Date(UNTIL.getTime() - 30 * day).toISOString()}&limit=100`,
  ],
  ["clients only", "role=client&limit=100"],
  ["viewer failures", "role=viewer&result=failure&limit=100"],
];

interface SizeResult {
  rows: number;
  loadSeconds: number;
  contractRows: number;
  timings: Map<string, number[]>;
  csv: { encoding: string; rows: number; seconds: number; baseRss: number; peakRss: number; bytes: number }[];
}

async function measure(rows: number, name: string, withCsv: boolean): Promise<SizeResult> {
  const url = process.env.DATABASE_URL
    ? withDatabase(process.env.DATABASE_URL, name)
    : (server?.urlFor(name) ?? "");
  await ensureDatabase(server ? server.adminUrl : (process.env.DATABASE_URL ?? ""), name);
  await migrate(url);
  const { db, sql, close } = connect(url, { max: 4 });
  try {
    const t0 = performance.now();
    let lastLine = 0;
    const loaded = await loadSynthetic(sql, {
      rows,
      contracts,
      usersPerContract: 200,
      until: UNTIL,
      serverPrefix: `${name}-`,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastLine < 10_000) return;
        lastLine = now;
        console.log(
          `  ${name}: ${p.rows.toLocaleString()} of ${p.total.toLocaleString()} rows, months indexed ${p.monthsDone}/${p.months}`,
        );
      },
    });
    const loadSeconds = (performance.now() - t0) / 1000;
    // As autovacuum would after a load: sets hint bits and the visibility map, and the statistics.
    await sql`vacuum analyze access_history`;
    await sql`analyze access_history_daily`;
    console.log(
      `${name}: loaded ${rows.toLocaleString()} rows in ${loadSeconds.toFixed(1)} s (${Math.round(rows / loadSeconds).toLocaleString()} rows/s)`,
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
    const get = async (path: string) => {
      const start = performance.now();
      const res = await app.request(path, { headers });
      const body = (await res.json()) as { nextCursor: string | null };
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      return { ms: performance.now() - start, next: body.nextCursor };
    };

    const timings = new Map<string, number[]>();
    for (const [label, query] of queries) {
      let path = `/history?${query}`;
      if (label === "deep keyset page") {
        // Walk to page deepPages + 1, or to the last page when there are fewer.
        let cursor: string | null = null;
        for (let depth = 1; depth <= deepPages; depth++) {
          const page = await get(`/history?${query}${cursor ? `&cursor=${cursor}` : ""}`);
          if (!page.next) break;
          cursor = page.next;
        }
        path = `/history?${query}${cursor ? `&cursor=${cursor}` : ""}`;
      }
      for (let i = 0; i < 3; i++) await get(path); // warm
      const ms: number[] = [];
      for (let i = 0; i < runs; i++) ms.push((await get(path)).ms);
      timings.set(label, ms);
    }

    const [{ n: contractRows } = { n: 0 }] = await sql<{ n: number }[]>`
      select count(*)::int as n from access_history where contract_id = ${contractId}`;
    const csv: SizeResult["csv"] = [];
    if (withCsv) {
      for (const encoding of encodings) {
        global.gc?.();
        const baseRss = process.memoryUsage().rss;
        let peakRss = baseRss;
        const sampler = setInterval(() => {
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
        }, 20);
        const t1 = performance.now();
        const lang = encoding === "shift_jis" ? "ja" : "en";
        const from = new Date(UNTIL.getTime() - 365 * day).toISOString();
        const res = await app.request(`/history/csv?encoding=${encoding}&lang=${lang}&from=${from}`, {
          headers,
        });
        let bytes = 0;
        let lines = 0;
        const reader = (res.body as ReadableStream<Uint8Array>).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.length;
          for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines++;
        }
        const seconds = (performance.now() - t1) / 1000;
        clearInterval(sampler);
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        csv.push({ encoding, rows: lines - 1, seconds, baseRss, peakRss, bytes });
      }
    }
    return { rows, loadSeconds, contractRows, timings, csv };
  } finally {
    await close();
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

try {
  const rows = Number(values.rows);
  const smallRows = Number(values.small);
  const small = await measure(smallRows, `bench_small_${Date.now() % 1e6}`, false);
  const big = await measure(rows, `bench_big_${Date.now() % 1e6}`, true);

  console.log(
    `\nhistory of ${small.rows.toLocaleString()} rows (first contract ${small.contractRows.toLocaleString()}) vs ${big.rows.toLocaleString()} rows (first contract ${big.contractRows.toLocaleString()}), ${runs} runs each:`,
  );
  console.log(
    `${"query".padEnd(22)} ${"p50 small".padStart(10)} ${"p95 small".padStart(10)} ${"p50 big".padStart(10)} ${"p95 big".padStart(10)} ${"ratio p50".padStart(10)} ${"ratio p95".padStart(10)}`,
  );
  for (const [label] of queries) {
    const s = small.timings.get(label) ?? [];
    const b = big.timings.get(label) ?? [];
    const [s50, s95, b50, b95] = [percentile(s, 50), percentile(s, 95), percentile(b, 50), percentile(b, 95)];
    console.log(
      `${label.padEnd(22)} ${`${s50.toFixed(1)} ms`.padStart(10)} ${`${s95.toFixed(1)} ms`.padStart(10)} ${`${b50.toFixed(1)} ms`.padStart(10)} ${`${b95.toFixed(1)} ms`.padStart(10)} ${(b50 / s50).toFixed(2).padStart(10)} ${(b95 / s95).toFixed(2).padStart(10)}`,
    );
  }
  console.log(
    `load: ${big.rows.toLocaleString()} rows in ${big.loadSeconds.toFixed(1)} s = ${Math.round(big.rows / big.loadSeconds).toLocaleString()} rows/s`,
  );
  for (const c of big.csv) {
    console.log(
      `CSV ${c.encoding}, a year of the first contract: ${c.rows.toLocaleString()} rows, ${mib(c.bytes)} in ${c.seconds.toFixed(1)} s = ${Math.round(c.rows / c.seconds).toLocaleString()} rows/s; RSS ${mib(c.baseRss)} before, peak ${mib(c.peakRss)}`,
    );
  }
} finally {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
}
