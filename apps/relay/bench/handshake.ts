/**
 * The relay's handshake cost outside argon2 (on demand: `pnpm --filter @tsunagi/relay bench:handshake`;
 * issue 12): handshakes per second against this machine's argon2id verify ceiling on the same cores,
 * measured in the same run, and the ratio; the relay's and the database's CPU-seconds per 1000
 * handshakes, with the relay's share of argon2 (the verifications' own CPU, measured here on the
 * ceiling run) taken out, and its main thread's alone (everything but argon2, which runs on libuv's
 * thread pool, and V8's helper threads: steadier than the difference, which carries the noise of
 * argon2's own cost on a shared machine); and the database statements each handshake costs
 * (pg_stat_statements).
 *
 * Two phases, each a fresh set of users: logins that succeed (a client's hello, its session opened and
 * closed again when the bench closes the socket), and logins with a wrong password (the failure every
 * other failure costs the same as: test/cost.security.test.ts). The relay runs in its own process
 * (`bench/proc.ts relay`), the handshakes come from this one, `BENCH_CONCURRENCY` at once (50).
 * The database's CPU is its server's whole process tree (the postmaster with the CPU of the backends it
 * reaped, and every live backend), read from /proc; Linux only.
 *
 * `BENCH_BASELINE=DIR` also runs the relay of another tree (its apps/relay directory: the main branch's
 * code, say, from `git archive`, with this tree's node_modules linked in) on the same database, phase by
 * phase in turn with this tree's, so before and after are measured in one run under the same load.
 * `BENCH_HASH=cheap` gives every user a hash with tiny argon2 parameters: the handshake's cost outside
 * argon2 measured without argon2's cache pressure (the ratio line then says nothing).
 * `BENCH_CPU_PROF=DIR` runs each relay with `--cpu-prof`, its profile left under DIR.
 * `BENCH_HANDSHAKES=N` sets the handshakes per phase (default 600); `BENCH_WARM_UP=N` the logins each
 * relay serves before the first phase (default 600: with fewer, V8 is still optimising the relay's
 * code during the phases, and its compiler threads' CPU counts as the handshakes'). An embedded PostgreSQL in a
 * temporary directory holds the data (`measure.ts`); nothing is left behind.
 */
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { hashSecret, verifySecret } from "@tsunagi/core/password";
import { connect, schema } from "@tsunagi/db";
import argon2 from "argon2";
import {
  type Child,
  clientHandshakes,
  cpuSeconds,
  median,
  relayDir,
  runBench,
  sleep,
  startBenchDatabase,
  startProcess,
  topStatements,
} from "./measure.js";

const PASSWORD = "bench-password";
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const HANDSHAKES = Number(process.env.BENCH_HANDSHAKES ?? 600);
const WARM_UP = Number(process.env.BENCH_WARM_UP ?? 600);
const BASELINE = process.env.BENCH_BASELINE;
const CHEAP = process.env.BENCH_HASH === "cheap";

/** CPU seconds of a process and of the children it has reaped (/proc stat fields 14–17). */
function cpuWithReaped(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of a process's main thread (/proc/PID/task/PID): the relay's JavaScript, its sockets and
 * the protocol, without argon2, which runs on libuv's thread pool, nor V8's helper threads.
 */
function mainThreadCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** The database server's CPU so far: the postmaster, what it reaped, and its live children. */
function serverCpu(postmaster: number): number {
  let total = cpuWithReaped(postmaster);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(join("/proc", entry, "stat"), "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === postmaster) total += cpuSeconds(Number(entry));
    } catch {
      // Gone meanwhile: its CPU is in the postmaster's reaped time.
    }
  }
  return total;
}

/**
 * Verifications per second with every core verifying, the CPU seconds one verification costs, and the
 * part of it on the calling thread (argon2's binding: parsing the hash, starting the work).
 */
async function argonCeiling(
  hash: string,
  seconds: number,
): Promise<{ perSecond: number; cpu: number; mainCpu: number }> {
  const until = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpu(process.pid);
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: availableParallelism() }, async () => {
      while (performance.now() < until) {
        await verifySecret(hash, PASSWORD);
        done++;
      }
    }),
  );
  const used = process.cpuUsage(cpu0);
  return {
    perSecond: done / ((performance.now() - t0) / 1000),
    cpu: (used.user + used.system) / 1e6 / done,
    mainCpu: (mainThreadCpu(process.pid) - main0) / done,
  };
}

/** A relay in its own process, run from `dir` (this tree's apps/relay, or a baseline's). */
const startRelayIn = (dir: string, databaseUrl: string): Promise<Child> =>
  startProcess("relay", { databaseUrl }, dir);

type Phase = "ok" | "wrong";

async function main() {
  const database = await startBenchDatabase("handshake");
  const { db, sql, close } = connect(database.url, { max: 2 });
  const running: Child[] = [];
  try {
    const [dir] = await sql`select setting from pg_settings where name = 'data_directory'`;
    const postmaster = Number(
      readFileSync(join(String(dir?.setting), "postmaster.pid"), "utf8").split("\n")[0],
    );
    // Verification reads its parameters from the stored hash: with BENCH_HASH=cheap every user's hash is
    // made with tiny ones, so argon2 costs next to nothing and the rest of a handshake runs at full
    // speed (the real parameters' 19 MiB per verification evict the caches the relay and Postgres run
    // in, and everything else costs more beside them).
    const hash = CHEAP
      ? await argon2.hash(PASSWORD, { type: argon2.argon2id, memoryCost: 1024, timeCost: 1, parallelism: 1 })
      : await hashSecret(PASSWORD);
    const [contract] = await db
      .insert(schema.contracts)
      // No lockout: a wrong password stays a wrong password however often the phase repeats one.
      .values({
        contractCode: "B00003",
        name: "Bench",
        model: "legacy",
        serverHost: "bench",
        lockoutThreshold: 0,
      })
      .returning();
    if (!contract) throw new Error("no contract");
    const relays = [
      ...(BASELINE ? [{ name: "baseline", dir: BASELINE }] : []),
      { name: BASELINE ? "this tree" : "relay", dir: relayDir },
    ];
    // Each relay and phase logs in users of its own, so no login finds another's session or counter.
    const usersOf = (relay: string, phase: string, count: number) =>
      Array.from({ length: count }, (_, i) => `bench.${relay.replace(/ /g, "-")}.${phase}.${i}`);
    await db.insert(schema.users).values(
      relays
        .flatMap((r) => [
          ...usersOf(r.name, "warm", WARM_UP),
          ...usersOf(r.name, "ok", HANDSHAKES),
          ...usersOf(r.name, "wrong", HANDSHAKES),
        ])
        .map((userName) => ({
          contractId: contract.id,
          serverHost: "bench",
          userName,
          passwordHash: hash,
        })),
    );

    const started = [];
    for (const r of relays) {
      const child = await startRelayIn(r.dir, database.url);
      running.push(child);
      started.push({ ...r, child, url: String(child.info.url) });
    }
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      await verifySecret(hash, PASSWORD);
      times.push(performance.now() - t0);
    }
    const ceiling = await argonCeiling(hash, 4);
    console.log(
      `cores: ${availableParallelism()} (load ${loadavg()[0]?.toFixed(2)}), argon2id verify: one ${median(times).toFixed(1)} ms, ceiling ${ceiling.perSecond.toFixed(1)} /s, ${(ceiling.cpu * 1000).toFixed(1)} ms CPU each (${(ceiling.mainCpu * 1000).toFixed(2)} ms on the calling thread); ${CONCURRENCY} handshakes at once, relay concurrency bound ${started[0]?.child.info.maxConcurrentHashes}`,
    );
    console.log(database.counting);
    if (CHEAP)
      console.log("BENCH_HASH=cheap: argon2id m=1024 KiB t=1 for every user (not the production parameters)");
    if (BASELINE)
      console.log(`baseline: the relay in ${BASELINE}, measured in turn with this tree's, phase by phase`);
    for (const r of started) {
      await clientHandshakes(r.url, usersOf(r.name, "warm", WARM_UP), PASSWORD, { concurrency: CONCURRENCY });
    }
    await sleep(1000);

    for (const phase of ["ok", "wrong"] as Phase[]) {
      for (const r of started) {
        const users = usersOf(r.name, phase, HANDSHAKES);
        // The machine is shared: the ceiling is measured again just before and after each phase, and the
        // phase is set against the mean of the three, so a neighbour's load weighs on both sides alike.
        const ceilingBefore = await argonCeiling(hash, 2);
        const before = {
          relay: cpuSeconds(r.child.pid),
          main: mainThreadCpu(r.child.pid),
          client: process.cpuUsage(),
          db: serverCpu(postmaster),
          counters: await database.counters(),
        };
        const hs = await clientHandshakes(r.url, users, phase === "ok" ? PASSWORD : "not-the-password", {
          concurrency: CONCURRENCY,
          refused: phase !== "ok",
        });
        // The sessions' closes and the statistics' flush land just after the last answer.
        await sleep(1500);
        const relayCpu = cpuSeconds(r.child.pid) - before.relay;
        const mainCpu = mainThreadCpu(r.child.pid) - before.main;
        const clientUsed = process.cpuUsage(before.client);
        const clientCpu = (clientUsed.user + clientUsed.system) / 1e6;
        const dbCpu = serverCpu(postmaster) - before.db;
        const after = await database.counters();
        const ceilingAfter = await argonCeiling(hash, 2);
        const around = (ceiling.perSecond + ceilingBefore.perSecond + ceilingAfter.perSecond) / 3;
        const per1000 = 1000 / users.length;
        const outside = relayCpu - users.length * ceiling.cpu;
        const statements =
          after.statements !== undefined && before.counters.statements !== undefined
            ? (after.statements - before.counters.statements) / users.length
            : Number.NaN;
        const label = `${r.name}, ${phase === "ok" ? "success" : "wrong password"}`;
        console.log(
          `handshakes (${label}): ${hs.perSecond.toFixed(1)} /s against the argon2 ceiling ${around.toFixed(1)} /s (${ceilingBefore.perSecond.toFixed(1)} before, ${ceilingAfter.perSecond.toFixed(1)} after): ratio ${(hs.perSecond / around).toFixed(2)}  (p50 ${hs.p50.toFixed(0)} ms, p99 ${hs.p99.toFixed(0)} ms)`,
        );
        console.log(
          `  CPU-s per 1000 handshakes (${label}): relay ${(relayCpu * per1000).toFixed(2)} (outside argon2 ${(outside * per1000).toFixed(2)}, main thread ${(mainCpu * per1000).toFixed(2)}, of which outside argon2 ${((mainCpu - users.length * ceiling.mainCpu) * per1000).toFixed(2)}), database ${(dbCpu * per1000).toFixed(2)}, this load generator's agents ${(clientCpu * per1000).toFixed(2)} (on the same cores: the ratio pays for it too); statements per handshake ${statements.toFixed(2)} (the session's close included)`,
        );
        for (const line of topStatements(before.counters, after, 4)) console.log(`    ${line}`);
      }
    }
  } finally {
    for (const child of running.reverse()) await child.stop();
    await close();
    await database.stop();
  }
}

runBench(main);
