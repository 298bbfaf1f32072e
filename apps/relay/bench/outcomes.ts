/**
 * Equal cost per outcome, timed (on demand: `pnpm --filter @tsunagi/relay bench:outcomes`): the latency
 * of a failed login, as its sender measures it, for each reason it can fail for — unknown user, unknown
 * server, wrong password, locked, right password refused by a rule — and of a success beside them. Each
 * outcome's median over many attempts, and the max/min ratio of the failures' medians, which should
 * stay near 1 (aim ≤ 1.1): a stopwatch must not tell the reasons apart. test/cost.security.test.ts
 * proves the same by counting statements and verifications; this shows what the clock sees.
 *
 * As in production the relay runs in a process of its own (`bench/proc.ts relay`); attempts go one at
 * a time, the outcomes taking turns round by round in a shuffled order, so a noisy neighbour hits them
 * alike.
 * `BENCH_ATTEMPTS=N` sets the attempts per outcome (default 100). An embedded PostgreSQL in a temporary
 * directory holds the data; nothing is left behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { AuthenticationError, connectAndAuthenticate, type Program } from "@tsunagi/agent";
import { hashSecret } from "@tsunagi/core/password";
import { connect, migrate, schema } from "@tsunagi/db";
import { ensureDatabase, startEmbedded } from "@tsunagi/db/server";
import { runBench } from "./measure.js";

const PASSWORD = "bench-password";
const ATTEMPTS = Number(process.env.BENCH_ATTEMPTS ?? 100);
const WARM_UP = 5;
const relayDir = fileURLToPath(new URL("..", import.meta.url));

const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** The relay in its own process; resolves with its URL once it listens. */
function startRelay(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/proc.ts", "relay", JSON.stringify({ databaseUrl })],
    {
      cwd: relayDir,
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      if (line.startsWith("ready ")) resolve({ url: String(JSON.parse(line.slice(6)).url), child });
    });
    child.once("exit", () => reject(new Error("the relay exited before it was ready")));
  });
}

interface Outcome {
  readonly name: string;
  readonly succeeds: boolean;
  /** The attempt's user, server and password for its i-th run. */
  attempt(i: number): { user: string; serverHost: string; password: string; program: Program };
}

const client: Program = { role: "client" };
const usbViewer: Program = { role: "viewer", product: "usb-ndl", usbKeySerial: "BENCH-KEY" };
const known = (user: string, program: Program = client, password = PASSWORD) => ({
  user,
  serverHost: "bench",
  password,
  program,
});

const outcomes: Outcome[] = [
  { name: "unknown user", succeeds: false, attempt: (i) => known(`nobody.${i}`) },
  {
    name: "unknown server",
    succeeds: false,
    attempt: () => ({ ...known("bench.wrong"), serverHost: "nowhere" }),
  },
  {
    name: "wrong password",
    succeeds: false,
    attempt: () => known("bench.wrong", client, "not-the-password"),
  },
  // The same outcome twice: how far apart two medians of one outcome land on this machine (noise).
  {
    name: "wrong password (A/A)",
    succeeds: false,
    attempt: () => known("bench.wrong", client, "not-the-password"),
  },
  { name: "locked", succeeds: false, attempt: () => known("bench.locked") },
  { name: "ip-not-allowed", succeeds: false, attempt: () => known("bench.ip") },
  { name: "product-not-allowed", succeeds: false, attempt: () => known("bench.product", usbViewer) },
  // Each success logs in a user of its own, so no session is still closing when the next one starts.
  { name: "success", succeeds: true, attempt: (i) => known(`bench.ok.${i}`) },
];

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function timeAttempt(url: string, outcome: Outcome, i: number): Promise<number> {
  const { user, serverHost, password, program } = outcome.attempt(i);
  const t0 = performance.now();
  const result = await connectAndAuthenticate({ server: url, serverHost, user, password }, program).then(
    ({ ws }) => ({ ok: true as const, ws }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const ms = performance.now() - t0;
  if (result.ok) result.ws.close();
  if (result.ok !== outcome.succeeds || (!result.ok && !(result.error instanceof AuthenticationError))) {
    throw new Error(`${outcome.name}: unexpected result ${result.ok ? "success" : String(result.error)}`);
  }
  return ms;
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), "tsunagi-bench-outcomes-"));
  const pg = await startEmbedded({ dataDir, ephemeral: true });
  let relay: ChildProcess | undefined;
  try {
    await ensureDatabase(pg.adminUrl, "bench");
    const url = pg.urlFor("bench");
    await migrate(url);
    const { db, close } = connect(url, { max: 2 });
    const passwordHash = await hashSecret(PASSWORD);
    const [contract] = await db
      .insert(schema.contracts)
      // A threshold no run reaches: "wrong password" stays a wrong password, never locked-out.
      .values({
        contractCode: "B00002",
        name: "Bench",
        model: "legacy",
        serverHost: "bench",
        lockoutThreshold: 1e9,
      })
      .returning();
    if (!contract) throw new Error("no contract");
    const user = (userName: string, extra: Partial<typeof schema.users.$inferInsert> = {}) => ({
      contractId: contract.id,
      serverHost: "bench",
      userName,
      passwordHash,
      viewerProduct: "usb-ndl" as const,
      usbKeySerial: "BENCH-KEY",
      ...extra,
    });
    await db
      .insert(schema.users)
      .values([
        user("bench.wrong"),
        user("bench.locked", { failedCount: 5, lockedUntil: new Date(Date.now() + 86_400_000) }),
        user("bench.ip", { ipAllowClient: ["192.0.2.1/32"] }),
        user("bench.product", { viewerProduct: "usb-xdl" }),
        ...Array.from({ length: ATTEMPTS + WARM_UP }, (_, i) => user(`bench.ok.${i}`)),
      ]);
    await close();

    const started = await startRelay(url);
    relay = started.child;
    const times = new Map<string, number[]>(outcomes.map((o) => [o.name, []]));
    for (let round = 0; round < ATTEMPTS + WARM_UP; round++) {
      // A fresh order each round: no outcome always follows another (a success's session closing in the
      // relay, say, would always land on the same neighbour).
      for (const outcome of shuffled(outcomes)) {
        const ms = await timeAttempt(started.url, outcome, round);
        if (round >= WARM_UP) times.get(outcome.name)?.push(ms);
      }
    }

    const medians = outcomes.map((o) => ({ ...o, median: median(times.get(o.name) ?? []) }));
    const failures = medians.filter((o) => !o.succeeds).map((o) => o.median);
    const fastest = Math.min(...failures);
    console.log(
      `one attempt at a time, ${ATTEMPTS} per outcome (after ${WARM_UP} warm-up rounds), relay in its own process`,
    );
    for (const o of medians) {
      console.log(
        `${o.name.padEnd(20)} median ${o.median.toFixed(2)} ms  (/ fastest failure ${(o.median / fastest).toFixed(3)})`,
      );
    }
    console.log(`failures: max/min of medians ${(Math.max(...failures) / fastest).toFixed(3)} (aim ≤ 1.1)`);
    const [a1, a2] = medians.filter((o) => o.name.startsWith("wrong password")).map((o) => o.median);
    if (a1 && a2) {
      console.log(
        `noise: one outcome measured twice, max/min ${(Math.max(a1, a2) / Math.min(a1, a2)).toFixed(3)}`,
      );
    }
  } finally {
    if (relay) {
      const exited = new Promise((r) => relay?.once("exit", r));
      relay.kill("SIGTERM");
      await exited;
    }
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
