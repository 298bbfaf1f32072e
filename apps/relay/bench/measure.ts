/**
 * What the relay's benchmarks share: a process's CPU time and resident memory from /proc, percentiles,
 * a database of the benchmark's own (an embedded PostgreSQL in a temporary directory, or a database
 * created beside DATABASE_URL's and dropped afterwards) with the statement counters read from it, and
 * the relay as its own process, started the way operators run it (`dist/tsunagi-relay.js`, or
 * `src/main.ts` through tsx) with the environment it is given, and the roles of `proc.ts` (a client, a
 * viewer, the baseline's pipe proxy) each in a process of its own.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { AuthenticationError, connectAndAuthenticate } from "@tsunagi/agent";
import { connect, migrate } from "@tsunagi/db";
import { type DatabaseServer, ensureDatabase, external, startEmbedded } from "@tsunagi/db/server";

export const relayDir = fileURLToPath(new URL("..", import.meta.url));
const repoDir = fileURLToPath(new URL("../../..", import.meta.url));

export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
export const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 elsewhere. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A process's resident memory in bytes (VmRSS, from /proc; Linux); 0 elsewhere. */
export function rssBytes(pid: number): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB/m);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const mib = (bytes: number) => bytes / (1024 * 1024);

/** `--name value` from the command line, or the fallback. */
export function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? String(process.argv[at + 1]) : fallback;
}

/** The counters a window's two readings are subtracted from. */
export interface DatabaseCounters {
  /** pg_stat_database.xact_commit of the benchmark's database (flushed by each backend within ~1-10 s). */
  readonly transactions: number;
  /** pg_stat_statements, when it is loaded: top-level statements in the database, BEGIN/COMMIT included. */
  readonly statements?: number;
  /** Calls of the heartbeat's lease renewal (`heartbeatMany`), and the rows they returned. */
  readonly heartbeats?: number;
  readonly heartbeatRows?: number;
  /** Calls per statement (pg_stat_statements' normalised text, whitespace squeezed), to say what ran. */
  readonly calls?: ReadonlyMap<string, number>;
}

/** The statements called most between two readings, as "calls × text" lines. */
export function topStatements(before: DatabaseCounters, after: DatabaseCounters, count = 4): string[] {
  const deltas = [...(after.calls ?? new Map<string, number>())]
    .map(([text, calls]) => [text, calls - (before.calls?.get(text) ?? 0)] as const)
    .filter(([, calls]) => calls > 0)
    .sort((a, b) => b[1] - a[1]);
  return deltas.slice(0, count).map(([text, calls]) => `${String(calls).padStart(6)} × ${text}`);
}

export interface BenchDatabase {
  /** The benchmark's own database, migrated. */
  readonly url: string;
  readonly name: string;
  /** Where the counters come from, in words. */
  readonly counting: string;
  counters(): Promise<DatabaseCounters>;
  stop(): Promise<void>;
}

/**
 * A database for one benchmark run. Embedded (the default): a PostgreSQL in a temporary directory,
 * started once with pg_stat_statements preloaded (set by ALTER SYSTEM, then a restart) so that
 * statements are counted exactly. With DATABASE_URL: a database `<name>_<pid>` created on that server
 * and dropped at the end; statements counted by pg_stat_statements if the server preloads it.
 * The counters are read over a connection to the maintenance database, so reading them adds nothing
 * to what is counted.
 */
export async function startBenchDatabase(name: string): Promise<BenchDatabase> {
  const given = process.env.DATABASE_URL;
  let server: DatabaseServer;
  let dataDir: string | undefined;
  let dbName = name;
  if (given) {
    server = external(given);
    dbName = `${name}_${process.pid}`;
  } else {
    dataDir = await mkdtemp(join(tmpdir(), `tsunagi-${name}-`));
    const first = await startEmbedded({ dataDir });
    const setup = connect(first.adminUrl, { max: 1 });
    await setup.sql`alter system set shared_preload_libraries = 'pg_stat_statements'`;
    await setup.close();
    await first.stop();
    server = await startEmbedded({ dataDir });
  }
  const { sql: admin, close: closeAdmin } = connect(server.adminUrl, { max: 1 });
  const cleanUp = async () => {
    if (given) await admin.unsafe(`drop database if exists "${dbName}" with (force)`).catch(() => {});
    await closeAdmin();
    await server.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await ensureDatabase(server.adminUrl, dbName);
    const url = server.urlFor(dbName);
    await migrate(url);
    const statementStats = await admin`create extension if not exists pg_stat_statements`
      .then(() => admin`select 1 from pg_stat_statements limit 1`)
      .then(
        () => true,
        () => false,
      );
    const where = given ? "the server of DATABASE_URL" : "an embedded PostgreSQL";
    return {
      url,
      name: dbName,
      counting: statementStats
        ? `statements from pg_stat_statements (top-level, BEGIN/COMMIT included) and transactions from pg_stat_database.xact_commit, database ${dbName} on ${where}`
        : `transactions from pg_stat_database.xact_commit only (pg_stat_statements not loaded on ${where}), database ${dbName}`,
      async counters() {
        const [db] = await admin`
          select xact_commit::float8 as transactions from pg_stat_database where datname = ${dbName}`;
        if (!statementStats) return { transactions: Number(db?.transactions ?? 0) };
        const [st] = await admin`
          select coalesce(sum(calls), 0)::float8 as statements,
                 coalesce(sum(calls) filter (where query like '%set last_heartbeat_at = now()%'), 0)::float8
                   as heartbeats,
                 coalesce(sum(rows) filter (where query like '%set last_heartbeat_at = now()%'), 0)::float8
                   as heartbeat_rows
          from pg_stat_statements where dbid = (select oid from pg_database where datname = ${dbName})`;
        const each = await admin`
          select left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 90) as text, sum(calls)::float8 as calls
          from pg_stat_statements where dbid = (select oid from pg_database where datname = ${dbName})
          group by 1`;
        return {
          calls: new Map(each.map((row) => [String(row.text), Number(row.calls)])),
          transactions: Number(db?.transactions ?? 0),
          statements: Number(st?.statements ?? 0),
          heartbeats: Number(st?.heartbeats ?? 0),
          heartbeatRows: Number(st?.heartbeat_rows ?? 0),
        };
      },
      stop: cleanUp,
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** The newest modification time under `dir` (recursively), 0 if it is absent. */
function newestUnder(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestUnder(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * How the relay is started: the built program when it exists and is newer than the relay's, db's and
 * core's sources (what operators run, plain node), else `src/main.ts` through tsx. `--relay dist` or
 * `--relay source` decides instead.
 */
export function relayProgram(): { args: string[]; label: string } {
  const built = join(relayDir, "dist", "tsunagi-relay.js");
  const wanted = option("relay", "auto");
  const sources = ["apps/relay/src", "packages/db/src", "packages/core/src"].map((d) =>
    newestUnder(join(repoDir, d)),
  );
  const fresh = existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources);
  if (wanted === "dist" || (wanted === "auto" && fresh)) {
    if (!existsSync(built)) throw new Error("no dist/tsunagi-relay.js: pnpm --filter @tsunagi/relay build");
    return {
      args: [built],
      label: `dist/tsunagi-relay.js with plain node${fresh ? "" : " (older than src)"}`,
    };
  }
  return {
    args: ["--import", "tsx", "src/main.ts"],
    label: `src/main.ts through tsx${existsSync(built) ? " (dist/tsunagi-relay.js is older than the sources)" : ""}`,
  };
}

/**
 * The relay's own counters: `GET /metrics` on its public port (loopback is allowed by default), as
 * `name{labels}` → value. Empty if the relay has no /metrics.
 */
export async function scrapeMetrics(relayUrl: string, ca?: string): Promise<Map<string, number>> {
  const url = new URL("/metrics", relayUrl.replace(/^ws/, "http"));
  const values = new Map<string, number>();
  try {
    // Where the bench is a trusted proxy (bench:idle), the relay believes only the forwarded address,
    // so the scrape names loopback; elsewhere the header is ignored and the socket's loopback counts.
    const headers = { "x-forwarded-for": "127.0.0.1" };
    // A wss:// relay with the bench's own certificate: fetch takes no CA of its own, https.get does.
    const text =
      url.protocol === "https:"
        ? await new Promise<string>((resolve, reject) => {
            const request = httpsGet(url, { ca, headers }, (response) => {
              let body = "";
              response.on("data", (d: Buffer) => {
                body += d.toString();
              });
              response.on("end", () => resolve(response.statusCode === 200 ? body : ""));
            });
            request.on("error", reject);
          })
        : await fetch(url, { headers }).then((response) => (response.ok ? response.text() : ""));
    for (const line of text.split("\n")) {
      const match = line.match(/^([a-z_]+(?:\{[^}]*\})?) (\S+)$/);
      if (match) values.set(String(match[1]), Number(match[2]));
    }
  } catch {
    // No metrics: the figures that need them are left out.
  }
  return values;
}

/** A self-signed certificate for 127.0.0.1 in `dir` (openssl), for relays serving wss://. */
export function certificate(dir: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, "relay.crt");
  const keyFile = join(dir, "relay.key");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-days", "1", "-subj", "/CN=bench-relay", "-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", keyFile, "-out", certFile],
    ],
    { stdio: "ignore" },
  );
  return { certFile, keyFile };
}

/** One `bench/proc.ts` role running in its own process. */
export interface Child {
  readonly info: Record<string, unknown>;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Every process a benchmark started and that is still running: killed when the benchmark fails. */
const children = new Set<ChildProcess>();

/** Kills every process the benchmark started that is still running (a failed run). */
export function killChildren(): void {
  for (const child of children) child.kill("SIGKILL");
}

/**
 * Runs a benchmark's `main`: exits 0 once it is done; on a failure prints the error, kills every
 * process the run started (`alsoKill` for those it spawned itself) and exits 1.
 */
export function runBench(main: () => Promise<void>, alsoKill: () => void = () => {}): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      killChildren();
      alsoKill();
      process.exit(1);
    },
  );
}

const PROFILE_DIR = process.env.BENCH_CPU_PROF;

/**
 * Starts one `bench/proc.ts` role (relay, client, viewer, proxy) in its own process, from this tree's
 * apps/relay or `dir` (another tree's, a baseline); resolves with what it printed when ready.
 * `BENCH_CPU_PROF=DIR` runs it with `--cpu-prof`, its profile left in DIR.
 */
export function startProcess(role: string, args: object, dir = relayDir): Promise<Child> {
  const child = spawn(
    process.execPath,
    [
      ...(PROFILE_DIR
        ? // One directory per role, Node's default file names (pid and thread id): a fixed name made tsx's
          // loader thread overwrite the main thread's profile.
          ["--cpu-prof", "--cpu-prof-dir", join(PROFILE_DIR, `${role}.${Date.now()}`)]
        : []),
      "--import",
      "tsx",
      "bench/proc.ts",
      role,
      JSON.stringify(args),
    ],
    { cwd: dir, stdio: ["pipe", "pipe", "inherit"] },
  );
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => children.delete(child));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      if (!line.startsWith("ready ")) return;
      resolve({
        info: JSON.parse(line.slice("ready ".length)) as Record<string, unknown>,
        pid: child.pid ?? 0,
        async stop() {
          child.kill("SIGTERM");
          await exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`bench ${role} in ${dir} exited before it was ready`)));
  });
}

export interface RelayProcess {
  readonly pid: number;
  readonly url: string;
  /** Everything it printed on stdout so far. */
  output(): string;
  /** Rejects if the relay exits before `stop()` asked it to (it crashed): race the benchmark against it. */
  readonly died: Promise<never>;
  /** SIGINT (closes at once, releasing its leases), then SIGKILL if it has not exited in 15 s. */
  stop(): Promise<void>;
}

/** The relay in its own process on 127.0.0.1 (PORT 0, internal port 0 unless given), once it listens. */
export function startRelayProcess(
  program: { args: string[] },
  env: Record<string, string>,
): Promise<RelayProcess> {
  const child = spawn(process.execPath, program.args, {
    cwd: relayDir,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      TSUNAGI_INTERNAL_PORT: "0",
      LOG_LEVEL: process.env.BENCH_RELAY_LOG ? "info" : "silent",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => children.delete(child));
  let text = "";
  let stopping = false;
  // Never settles once stop() has been asked for: only a crash rejects it.
  const died = new Promise<never>((_, reject) => {
    void exited.then(() => {
      if (!stopping) {
        reject(
          new Error(
            `relay pid ${child.pid} exited (${child.exitCode ?? child.signalCode}) during the benchmark`,
          ),
        );
      }
    });
  });
  died.catch(() => {});
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      text += `${line}\n`;
      const listening = line.match(/^relay listening on (\S+)/);
      if (!listening) return;
      resolve({
        pid: child.pid ?? 0,
        url: String(listening[1]),
        output: () => text,
        died,
        async stop() {
          stopping = true;
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill("SIGINT");
          const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
    void exited.then(() => reject(new Error(`the relay exited before it listened:\n${text}`)));
  });
}

/**
 * `users` (of the server host "bench") log in as clients through the relay at `url` with `password`,
 * `concurrency` at once, each closing its session again: every login must succeed, or with
 * `refused: true` be refused, or the run fails. Handshakes per second and latency percentiles (ms).
 */
export async function clientHandshakes(
  url: string,
  users: readonly string[],
  password: string,
  options: { readonly concurrency: number; readonly refused?: boolean },
): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < users.length) {
        const user = users[next++] as string;
        const t0 = performance.now();
        const succeeded = await connectAndAuthenticate(
          { server: url, serverHost: "bench", user, password },
          { role: "client" },
        ).then(
          ({ ws }) => {
            ws.close();
            return true;
          },
          (error: unknown) => {
            if (!(error instanceof AuthenticationError)) throw error;
            return false;
          },
        );
        if (succeeded === (options.refused === true)) {
          throw new Error(`${user}: ${succeeded ? "logged in where it was to be refused" : "refused"}`);
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    perSecond: users.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}
