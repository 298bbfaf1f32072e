/**
 * One relay holding many connected idle clients (on demand: `pnpm --filter @tsunagi/relay bench:idle
 * [--clients 10000] [--window 60] [--heartbeat 5] [--relay dist|source]`): the relay's resident memory
 * per connection, its CPU, and the database statements per second its heartbeats cost, each against
 * the same relay with no client, measured in the same run (issue 11: batched heartbeats make 10,000
 * agents one write per interval, not 10,000).
 *
 * The relay runs as operators run it, in its own process (`measure.ts`: the built program, or
 * src/main.ts through tsx), so its RSS and CPU are its own. The clients are real protocol clients, the
 * agent library's `startClient`, spread over load-generator processes (this file, started again as
 * `idle-clients.ts generator JSON`) so no process runs short of descriptors. Each client names a source
 * address of its own in X-Forwarded-For, the load generator being a trusted proxy
 * (TSUNAGI_TRUSTED_PROXIES=127.0.0.1), so the relay's per-address rate limit sees ten thousand agents,
 * not one address, as it would in production; no limit is loosened.
 *
 * The users share one password hash made with cheap argon2id parameters, to keep the set-up fast:
 * verification reads its parameters from the stored hash, and the idle phase measured verifies
 * nothing. Statements are counted by pg_stat_statements (the embedded PostgreSQL is started with it
 * preloaded), transactions by pg_stat_database; see `measure.ts`. No timed assertion: it prints.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { type Client, type DataPathMode, startClient } from "@tsunagi/agent";
import { connect } from "@tsunagi/db";
import argon2 from "argon2";
import {
  type BenchDatabase,
  cpuSeconds,
  type DatabaseCounters,
  median,
  mib,
  option,
  type RelayProcess,
  relayDir,
  relayProgram,
  rssBytes,
  runBench,
  scrapeMetrics,
  sleep,
  startBenchDatabase,
  startRelayProcess,
  topStatements,
} from "./measure.js";

const PASSWORD = "bench-password";
const SERVER_HOST = "bench";
/** Cheap on purpose (see the header); production hashes use core's passwordHashParameters. */
const CHEAP_HASH = { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 } as const;

/** Client i's own source address, as its (trusted) proxy names it: 10.0.0.0/8, one per client. */
const sourceFor = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const userFor = (i: number) => `idle.${i}`;

interface GeneratorArgs {
  readonly server: string;
  readonly first: number;
  readonly count: number;
  /** Handshakes in flight at once in this process. */
  readonly inFlight: number;
  /** The agents' data path, when not their default. */
  readonly dataPath?: DataPathMode;
}

interface GeneratorStatus {
  connected: number;
  /** Sessions that were open and were lost (the relay dropped them): should stay 0. */
  losses: number;
  /** Connection attempts that failed and are being retried (rate-limited, busy). */
  retries: number;
  /** Clients that gave up for good (refused: a set-up fault). */
  refused: number;
  lastError: string;
}

/** A load generator: `count` clients from `first`, each connected once and then left idle. */
async function generator(args: GeneratorArgs): Promise<void> {
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
  process.once("SIGTERM", () => process.exit(0));
  const status: GeneratorStatus = { connected: 0, losses: 0, retries: 0, refused: 0, lastError: "" };
  const connected = new Set<number>();
  const clients: Client[] = [];
  const report = () => process.stdout.write(`status ${JSON.stringify(status)}\n`);
  setInterval(report, 1000);
  let next = 0;
  const worker = async () => {
    while (next < args.count) {
      const i = args.first + next++;
      await new Promise<void>((resolve) => {
        const client = startClient({
          server: args.server,
          serverHost: SERVER_HOST,
          user: userFor(i),
          password: PASSWORD,
          headers: { "x-forwarded-for": sourceFor(i) },
          // No viewer opens a channel: the forwarded service is never dialled.
          forward: { host: "127.0.0.1", port: 9 },
          reconnect: { initialMs: 1000, maxMs: 5000 },
          ...(args.dataPath ? { dataPath: args.dataPath } : {}),
          onConnected: () => {
            connected.add(i);
            status.connected = connected.size;
            resolve();
          },
          onNotice: (text) => {
            if (text.startsWith("connection to the relay lost") && connected.delete(i)) {
              status.connected = connected.size;
              status.losses++;
            }
          },
        });
        // A first attempt that fails is retried by the client itself; onConnected counts it later.
        client.ready.catch((error: Error) => {
          status.retries++;
          status.lastError = error.message;
          resolve();
        });
        void client.stopped.then((end) => {
          if (end.reason !== "stopped") status.refused++;
        });
        clients.push(client);
      });
    }
  };
  await Promise.all(Array.from({ length: args.inFlight }, worker));
  report();
}

interface Generator {
  readonly pid: number;
  status: GeneratorStatus;
  stop(): Promise<void>;
}

function startGenerator(args: GeneratorArgs): Generator {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/idle-clients.ts", "generator", JSON.stringify(args)],
    { cwd: relayDir, stdio: ["pipe", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const generator: Generator = {
    pid: child.pid ?? 0,
    status: { connected: 0, losses: 0, retries: 0, refused: 0, lastError: "" },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
    if (line.startsWith("status ")) generator.status = JSON.parse(line.slice("status ".length));
  });
  void exited.then(() => {
    if (generator.status.connected < args.count) generator.status.lastError ||= "load generator exited";
  });
  return generator;
}

interface Window {
  readonly seconds: number;
  readonly cpuPerSecond: number;
  /** The median of the window's once-a-second RSS samples: less at the mercy of when V8 last collected. */
  readonly rss: number;
  readonly rssMax: number;
  readonly before: DatabaseCounters;
  readonly after: DatabaseCounters;
  /** The load generators' CPU seconds per second over the window (all together). */
  readonly generatorsCpu: number;
  /** The relay's /metrics at both ends. */
  readonly metricsBefore: Map<string, number>;
  readonly metricsAfter: Map<string, number>;
}

/** Samples the relay for `seconds`: CPU, RSS every second, the database counters at both ends. */
async function measureWindow(
  relay: RelayProcess,
  db: BenchDatabase,
  seconds: number,
  generatorPids: number[],
): Promise<Window> {
  const generatorsCpu = () => generatorPids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const metricsBefore = await scrapeMetrics(relay.url);
  const before = await db.counters();
  const cpu0 = cpuSeconds(relay.pid);
  const gen0 = generatorsCpu();
  const t0 = performance.now();
  const samples = [rssBytes(relay.pid)];
  while (performance.now() - t0 < seconds * 1000) {
    await sleep(Math.min(1000, seconds * 1000 - (performance.now() - t0)));
    samples.push(rssBytes(relay.pid));
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpuPerSecond = (cpuSeconds(relay.pid) - cpu0) / elapsed;
  const genPerSecond = (generatorsCpu() - gen0) / elapsed;
  const after = await db.counters();
  const metricsAfter = await scrapeMetrics(relay.url);
  return {
    metricsBefore,
    metricsAfter,
    seconds: elapsed,
    cpuPerSecond,
    rss: median(samples),
    rssMax: Math.max(...samples),
    before,
    after,
    generatorsCpu: genPerSecond,
  };
}

/** Open descriptors of a process (Linux). */
const descriptors = (pid: number) => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
};

const signed = (value: number, digits: number) => `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;
const rate = (w: Window, key: "transactions" | "statements" | "heartbeats") => {
  const a = w.after[key];
  const b = w.before[key];
  return a === undefined || b === undefined ? undefined : (a - b) / w.seconds;
};

async function main(): Promise<void> {
  const clients = Number(option("clients", "10000"));
  const windowSeconds = Number(option("window", "60"));
  const heartbeatSeconds = Number(option("heartbeat", "5"));
  const perGenerator = Number(option("per-generator", "2500"));
  const inFlight = Number(option("in-flight", "12"));
  const dataPath = option("data-path", "") as DataPathMode | "";
  const program = relayProgram();
  const db = await startBenchDatabase("bench_idle");
  let relay: RelayProcess | undefined;
  const generators: Generator[] = [];
  try {
    const t0 = performance.now();
    const hash = await argon2.hash(PASSWORD, CHEAP_HASH);
    const setup = connect(db.url, { max: 1 });
    const [contract] = await setup.sql`
      insert into contracts (contract_code, name, model, server_host)
      values ('B00011', 'Idle bench', 'legacy', ${SERVER_HOST}) returning id`;
    await setup.sql`
      insert into users (contract_id, server_host, user_name, password_hash)
      select ${contract?.id}, ${SERVER_HOST}, 'idle.' || g, ${hash} from generate_series(0, ${clients - 1}) g`;
    await setup.close();
    console.log(
      `set-up: ${clients} users in one contract, one shared argon2id hash m=${CHEAP_HASH.memoryCost} KiB t=${CHEAP_HASH.timeCost} p=${CHEAP_HASH.parallelism} (cheap, for set-up speed: verification reads the parameters from the hash; the idle phase measured verifies nothing), ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    relay = await startRelayProcess(program, {
      DATABASE_URL: db.url,
      TSUNAGI_HEARTBEAT_SECONDS: String(heartbeatSeconds),
      TSUNAGI_TRUSTED_PROXIES: "127.0.0.1",
    });
    console.log(
      `relay: ${program.label}, pid ${relay.pid}, ${relay.url}, heartbeat every ${heartbeatSeconds} s (TSUNAGI_HEARTBEAT_SECONDS=${heartbeatSeconds}), the load generators a trusted proxy (TSUNAGI_TRUSTED_PROXIES=127.0.0.1); agents' data path: ${dataPath || "their default (auto: the control connection and a pool of parked data connections)"}`,
    );
    console.log(
      `machine: ${availableParallelism()} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}; counting ${db.counting}`,
    );
    // Start-up's garbage collected and the node's timers running before the baseline.
    await sleep(10_000);
    const rssStart = rssBytes(relay.pid);
    console.log(`baseline: ${windowSeconds} s with no client…`);
    const idle = await measureWindow(relay, db, windowSeconds, []);

    const connectStart = performance.now();
    const processes = Math.max(1, Math.ceil(clients / perGenerator));
    for (let g = 0; g < processes; g++) {
      const first = g * perGenerator;
      const count = Math.min(perGenerator, clients - first);
      generators.push(
        startGenerator({ server: relay.url, first, count, inFlight, ...(dataPath ? { dataPath } : {}) }),
      );
    }
    const total = () => generators.reduce((sum, g) => sum + g.status.connected, 0);
    let lastProgress = performance.now();
    let lastCount = 0;
    let lastPrint = 0;
    while (total() < clients) {
      await sleep(1000);
      const now = performance.now();
      if (total() > lastCount) {
        lastCount = total();
        lastProgress = now;
      }
      const refused = generators.reduce((sum, g) => sum + g.status.refused, 0);
      if (refused > 0)
        throw new Error(
          `${refused} clients were refused: ${generators.map((g) => g.status.lastError).join("; ")}`,
        );
      if (now - lastProgress > 120_000)
        throw new Error(`no client connected for 120 s (${total()} of ${clients})`);
      if (now - lastPrint > 10_000) {
        lastPrint = now;
        const retries = generators.reduce((sum, g) => sum + g.status.retries, 0);
        console.log(
          `  connected ${total()} / ${clients} after ${((now - connectStart) / 1000).toFixed(0)} s (first attempts retried: ${retries}${retries > 0 ? `; last error: ${generators.map((g) => g.status.lastError).find((e) => e) ?? ""}` : ""})`,
        );
      }
    }
    const connectSeconds = (performance.now() - connectStart) / 1000;
    const retries = generators.reduce((sum, g) => sum + g.status.retries, 0);
    console.log(
      `connected: ${clients} clients (agent library's startClient) through ${processes} load-generator processes in ${connectSeconds.toFixed(0)} s; first attempts retried: ${retries}`,
    );
    // Two intervals (15 s at least) for the last handshakes' work to finish, every session to have
    // joined the timer, and the database's backends to have flushed their transaction counts (an idle
    // backend reports them within 10 s).
    await sleep(Math.max(2 * heartbeatSeconds, 15) * 1000);
    const lossesBefore = generators.reduce((sum, g) => sum + g.status.losses, 0);
    console.log(`measuring: ${windowSeconds} s with ${clients} idle clients…`);
    const busy = await measureWindow(
      relay,
      db,
      windowSeconds,
      generators.map((g) => g.pid),
    );
    const lossesDuring = generators.reduce((sum, g) => sum + g.status.losses, 0) - lossesBefore;
    const check = connect(db.url, { max: 1 });
    const [leases] = await check.sql`select count(*)::int as n from active_sessions`;
    await check.close();
    const relayDescriptors = descriptors(relay.pid);
    const generatorsRss = generators.reduce((sum, g) => sum + rssBytes(g.pid), 0);

    const perConnection = (busy.rss - idle.rss) / clients;
    const rows: [string, string, string, string][] = [
      [
        "relay resident memory (MiB)",
        mib(idle.rss).toFixed(1),
        mib(busy.rss).toFixed(1),
        `${signed(mib(busy.rss - idle.rss), 1)} MiB = ${(perConnection / 1024).toFixed(1)} KiB per connection (medians of 1 s samples; max ${mib(idle.rssMax).toFixed(1)} and ${mib(busy.rssMax).toFixed(1)})`,
      ],
      [
        "relay CPU (CPU-s per s)",
        idle.cpuPerSecond.toFixed(4),
        busy.cpuPerSecond.toFixed(4),
        `${signed(busy.cpuPerSecond - idle.cpuPerSecond, 4)} (${((busy.cpuPerSecond * 100) / availableParallelism()).toFixed(2)} % of the machine)`,
      ],
    ];
    const statementsIdle = rate(idle, "statements");
    const statementsBusy = rate(busy, "statements");
    if (statementsIdle !== undefined && statementsBusy !== undefined) {
      rows.push([
        "statements per s",
        statementsIdle.toFixed(2),
        statementsBusy.toFixed(2),
        signed(statementsBusy - statementsIdle, 2),
      ]);
    }
    const txIdle = rate(idle, "transactions") ?? 0;
    const txBusy = rate(busy, "transactions") ?? 0;
    rows.push([
      "transactions per s (xact_commit)",
      txIdle.toFixed(2),
      txBusy.toFixed(2),
      signed(txBusy - txIdle, 2),
    ]);
    const heartbeatsIdle = rate(idle, "heartbeats");
    const heartbeatsBusy = rate(busy, "heartbeats");
    if (heartbeatsIdle !== undefined && heartbeatsBusy !== undefined) {
      const calls = (busy.after.heartbeats ?? 0) - (busy.before.heartbeats ?? 0);
      const rowsRenewed = (busy.after.heartbeatRows ?? 0) - (busy.before.heartbeatRows ?? 0);
      rows.push([
        "heartbeat statements per interval",
        (heartbeatsIdle * heartbeatSeconds).toFixed(2),
        (heartbeatsBusy * heartbeatSeconds).toFixed(2),
        `${calls} in ${busy.seconds.toFixed(0)} s, ${calls > 0 ? (rowsRenewed / calls).toFixed(0) : 0} leases each`,
      ]);
    }
    const HEARTBEAT_COUNT = 'tsunagi_relay_database_seconds_count{operation="heartbeat"}';
    const HEARTBEAT_SUM = 'tsunagi_relay_database_seconds_sum{operation="heartbeat"}';
    const delta = (w: Window, name: string) =>
      (w.metricsAfter.get(name) ?? Number.NaN) - (w.metricsBefore.get(name) ?? Number.NaN);
    if (busy.metricsAfter.has(HEARTBEAT_COUNT)) {
      const beats = delta(busy, HEARTBEAT_COUNT);
      rows.push([
        "heartbeat statement time (relay's /metrics)",
        "-",
        beats > 0 ? `${((delta(busy, HEARTBEAT_SUM) / beats) * 1000).toFixed(1)} ms` : "-",
        `mean of ${beats} (tsunagi_relay_database_seconds, operation heartbeat)`,
      ]);
    }
    const width = [44, 12, 16];
    console.log();
    console.log(
      `${"".padEnd(width[0] ?? 0)}${"0 clients".padStart(width[1] ?? 0)}${`${clients} clients`.padStart(width[2] ?? 0)}   difference`,
    );
    for (const [name, a, b, d] of rows) {
      console.log(
        `${name.padEnd(width[0] ?? 0)}${a.padStart(width[1] ?? 0)}${b.padStart(width[2] ?? 0)}   ${d}`,
      );
    }
    for (const [name, w] of [
      ["0 clients", idle],
      [`${clients} clients`, busy],
    ] as const) {
      const top = topStatements(w.before, w.after);
      if (top.length > 0)
        console.log(`statements called most, ${name}:\n${top.map((t) => `  ${t}`).join("\n")}`);
    }
    console.log();
    const sessions = busy.metricsAfter.get('tsunagi_relay_sessions{role="client"}');
    console.log(
      `window ${windowSeconds} s each; relay's client sessions (/metrics) ${sessions ?? "-"}; relay's open descriptors ${relayDescriptors} (${(relayDescriptors / clients).toFixed(2)} per client); relay RSS 10 s after start ${mib(rssStart).toFixed(1)} MiB; leases in the database ${leases?.n}; sessions lost during the window ${lossesDuring}; load generators together: ${mib(generatorsRss).toFixed(0)} MiB resident (${(generatorsRss / clients / 1024).toFixed(1)} KiB per client), ${busy.generatorsCpu.toFixed(3)} CPU-s per s`,
    );
  } finally {
    for (const g of generators) await g.stop();
    await relay?.stop();
    await db.stop();
  }
}

if (process.argv[2] === "generator") {
  generator(JSON.parse(process.argv[3] ?? "{}") as GeneratorArgs).catch((error: unknown) => {
    process.stderr.write(`load generator: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
} else {
  runBench(main);
}
