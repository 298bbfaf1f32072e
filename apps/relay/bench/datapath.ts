/**
 * The data path against the programs people would use instead (issue 12), on demand:
 * `pnpm --filter @tsunagi/relay bench:datapath [--seconds 5] [--rounds 3] [--round-trips 3000]
 * [--data-path mux|spliced] [--tls both|off|on|sealed] [--relay dist|source]`.
 *
 * In one run, side by side, one stream of Debian's iperf3 (client → server, loopback) through:
 *   - Tsunagi: viewer → relay → client, the relay as operators run it (its own process, `measure.ts`)
 *     and each agent a process of its own (`proc.ts`), with TLS off (ws://) and on (wss://, a
 *     self-signed certificate the agents are given as their CA), on twice: its channels sealed end to
 *     end (the relay's default with TLS: it splices the agents' TLS over plain TCP data connections)
 *     and not (`TSUNAGI_SEALED_CHANNELS=0`: TLS data connections the relay decrypts and re-encrypts);
 *     `--tls sealed` runs the sealed one alone;
 *   - `ssh -L` through an OpenSSH sshd of the bench's own (`test/openssh.ts`; default ciphers);
 *   - socat as a TCP forwarder (`fork`, default buffer);
 *   - the plain Node pipe proxy (`proc.ts` proxy: net.createServer + pipe), and three of them in a row
 *     (Tsunagi's three hops with nothing but pipes: what the hops alone cost on this machine);
 *   - and direct.
 * For each: Gbit/s (median of the rounds; rounds alternate the paths, in a rotating order, so a noisy
 * neighbour hits all alike) and Tsunagi's ratio to it; the forwarder's CPU seconds per GiB carried (the
 * relay alone, the pipe proxy, socat with its forked children, ssh with sshd's session processes; for
 * Tsunagi the agents too); and the round trip of one byte (a keystroke) through an echo server, p50 /
 * p95 / p99 over `--round-trips`, and what each path adds to the direct one.
 *
 * `--data-path` is handed to the agents as their `dataPath` option (mux: the multiplexed WebSocket
 * path; spliced: a data connection per channel, once the agents have it); what the relay reports
 * having relayed on the multiplexed path (its /metrics) is printed beside it, so a run says which path
 * carried the bytes. A tool that is not installed is skipped with a note. No assertion: it prints, and
 * says whether each of the issue's aims is met.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { hashSecret } from "@tsunagi/core/password";
import { connect } from "@tsunagi/db";
import { freePort } from "@tsunagi/db/server";
import { opensshPresent, SSH, type Sshd, startSshd } from "../test/openssh.js";
import {
  type Child,
  certificate,
  cpuSeconds,
  median,
  option,
  percentile,
  type RelayProcess,
  relayProgram,
  runBench,
  scrapeMetrics,
  sleep,
  startBenchDatabase,
  startProcess,
  startRelayProcess,
} from "./measure.js";

const PASSWORD = "bench-password";
const USB_KEY = "BENCH-KEY";
const SERVER_HOST = "bench";
const IPERF3 = "/usr/bin/iperf3";
const SOCAT = "/usr/bin/socat";
const BLOCK = 250;
/** Three pipe proxies in a row: Tsunagi's hop count with nothing but pipes. */
const PIPE_CHAIN = "node pipe ×3";

const seconds = Number(option("seconds", "5"));
const rounds = Number(option("rounds", "3"));
const roundTrips = Number(option("round-trips", "3000"));
const dataPath = option("data-path", "mux");
/** The Tsunagi rows: TLS to the relay or not, and whether the relay seals spliced channels. */
interface TsunagiMode {
  readonly tls: boolean;
  readonly sealed: boolean;
  /** The row's name, and its bench users' infix. */
  readonly label: string;
}
const WS: TsunagiMode = { tls: false, sealed: false, label: "ws://" };
const WSS_SEALED: TsunagiMode = { tls: true, sealed: true, label: "wss://, sealed" };
const WSS_UNSEALED: TsunagiMode = { tls: true, sealed: false, label: "wss://, not sealed" };
const tlsModes: readonly TsunagiMode[] = {
  both: [WS, WSS_SEALED, WSS_UNSEALED],
  off: [WS],
  on: [WSS_SEALED, WSS_UNSEALED],
  sealed: [WSS_SEALED],
}[option("tls", "both")] ?? [WS, WSS_SEALED, WSS_UNSEALED];
/** A bench user's name for a mode and a role. */
const benchUser = (mode: TsunagiMode, role: "bulk" | "echo") =>
  `dp.${mode.tls ? "wss" : "ws"}${mode.tls && !mode.sealed ? "0" : ""}.${role}`;
if (dataPath !== "mux" && dataPath !== "spliced") throw new Error("--data-path is mux or spliced");

/** CPU seconds of a process and every descendant, the reaped ones included (their time moves to
 * their parent's cutime/cstime): socat forks per connection, sshd per login and again per privilege. */
function treeCpuSeconds(root: number): number {
  const parent = new Map<number, number>();
  const times = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(entry), Number(fields[1]));
      times.set(Number(entry), fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / 100);
    } catch {
      // Gone between the listing and the read.
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++)
      if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const [pid, t] of times) if (inTree(pid)) total += t;
  return total;
}

/**
 * Resolves once 127.0.0.1:`port` is in LISTEN state (/proc/net/tcp; polling, 20 s at most). Read from
 * the kernel rather than by connecting: iperf3 takes any connection for a client and stays busy with it.
 */
async function listening(port: number): Promise<void> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (let i = 0; i < 200; i++) {
    const table = readFileSync("/proc/net/tcp", "utf8");
    if (
      table
        .split("\n")
        .some((line) => line.trim().split(/\s+/)[1] === local && line.trim().split(/\s+/)[3] === "0A")
    )
      return;
    await sleep(100);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** Every program the bench spawned itself (iperf3 server, socat, ssh), killed at the end. */
const spawned = new Set<ChildProcess>();
/** Set once the bench is ending: those programs' exits are then expected, not reported. */
let finishing = false;
function program(file: string, args: string[]): ChildProcess {
  const child = spawn(file, args, { stdio: ["ignore", "ignore", "pipe"] });
  let text = "";
  child.stderr?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  child.once("exit", (code, signal) => {
    spawned.delete(child);
    if (!finishing && !signal && code !== 0) process.stderr.write(`${file} exited ${code}: ${text}\n`);
  });
  spawned.add(child);
  return child;
}

/** One way through to the iperf3 server and one to the echo server, and the CPU it spends. */
interface Path {
  readonly name: string;
  readonly bulkPort: number;
  readonly echoPort: number;
  /** CPU seconds so far of the forwarder: [label, reading] pairs, summed for the total. */
  readonly cpu: () => readonly (readonly [string, number])[];
  readonly relay?: RelayProcess;
  readonly tsunagi?: boolean;
}

/**
 * One iperf3 run of `secs` through `port`, with its name for errors: bits per second and bytes
 * received. The one iperf3 server serves every path in turn and may still be closing the previous
 * test when the next client arrives (it then answers "busy", or closes the control connection at
 * once): such a run is tried again after a pause, a few times, and said.
 */
async function iperf(port: number, secs: number, name: string): Promise<{ bps: number; bytes: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await iperfOnce(port, secs, name);
    } catch (error) {
      const busy = /server is busy|control socket has closed unexpectedly/.test((error as Error).message);
      if (!busy || attempt >= 5) throw error;
      console.log(`note: iperf3 through ${name}: the server was still busy; trying again (${attempt})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

function iperfOnce(port: number, secs: number, name: string): Promise<{ bps: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(IPERF3, ["-c", "127.0.0.1", "-p", String(port), "-t", String(secs), "-J"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("exit", () => {
      try {
        const json = JSON.parse(out) as {
          error?: string;
          end?: { sum_received?: { bits_per_second: number; bytes: number } };
        };
        const sum = json.end?.sum_received;
        if (!sum) throw new Error(json.error ?? "no result");
        resolve({ bps: sum.bits_per_second, bytes: sum.bytes });
      } catch (error) {
        reject(
          new Error(
            `iperf3 through ${name} (port ${port}): ${(error as Error).message}\n${out.slice(0, 500)}`,
          ),
        );
      }
    });
  });
}

/** A keystroke round trip on one connection: one byte out, one byte back; each time in ms. */
async function keystrokes(port: number): Promise<() => Promise<number>> {
  const socket: Socket = tcpConnect({ host: "127.0.0.1", port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  let done: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  socket.on("data", () => done());
  socket.on("close", () => fail(new Error(`the path on port ${port} closed during a round trip`)));
  const one = Buffer.from([0x6b]);
  return async () => {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      done = resolve;
      fail = reject;
      socket.write(one);
    });
    return performance.now() - t0;
  };
}

const gbit = (bps: number) => (bps / 1e9).toFixed(2);
const us = (ms: number) => `${(ms * 1000).toFixed(0)}`;

async function main(): Promise<void> {
  const relayBinary = relayProgram();
  const db = await startBenchDatabase("bench_datapath");
  const dir = await mkdtemp(join(tmpdir(), "tsunagi-bench-datapath-"));
  const relays: RelayProcess[] = [];
  const children: Child[] = [];
  let sshd: Sshd | undefined;
  const echo = createServer({ noDelay: true }, (socket) => {
    socket.on("error", () => {});
    socket.pipe(socket);
  });
  try {
    const hash = await hashSecret(PASSWORD);
    const setup = connect(db.url, { max: 1 });
    const [contract] = await setup.sql`
      insert into contracts (contract_code, name, model, server_host)
      values ('B00013', 'Data path bench', 'legacy', ${SERVER_HOST}) returning id`;
    await setup.sql`
      insert into users (contract_id, server_host, user_name, password_hash, viewer_product, usb_key_serial)
      select ${contract?.id}, ${SERVER_HOST}, name, ${hash}, 'usb-ndl', ${USB_KEY}
      from unnest(${[WS, WSS_SEALED, WSS_UNSEALED].flatMap((m) => [benchUser(m, "bulk"), benchUser(m, "echo")])}::text[]) name`;
    await setup.close();
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
    const echoPort = (echo.address() as { port: number }).port;

    console.log(
      `machine: ${availableParallelism()} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")} (shared: other work on the machine moves these figures)`,
    );
    console.log(`relay: ${relayBinary.label}; agents: bench/proc.ts processes, dataPath ${dataPath}`);

    const notes: string[] = [];
    let iperfPort = 0;
    if (existsSync(IPERF3)) {
      iperfPort = await freePort();
      program(IPERF3, ["-s", "-B", "127.0.0.1", "-p", String(iperfPort)]);
      await listening(iperfPort);
    } else {
      notes.push(`${IPERF3} absent: no throughput measured (apt-get install iperf3)`);
    }
    const bulkTarget = iperfPort;

    const paths: Path[] = [{ name: "direct", bulkPort: bulkTarget, echoPort, cpu: () => [] }];

    // The plain Node pipe proxy: `proc.ts`'s proxy forwards to one port, so one process per target.
    const proxyBulk = await startProcess("proxy", { targetPort: bulkTarget });
    const proxyEcho = await startProcess("proxy", { targetPort: echoPort });
    children.push(proxyBulk, proxyEcho);
    paths.push({
      name: "node pipe proxy",
      bulkPort: Number(proxyBulk.info.port),
      echoPort: Number(proxyEcho.info.port),
      cpu: () => [["proxy", cpuSeconds(proxyBulk.pid) + cpuSeconds(proxyEcho.pid)]],
    });

    // Tsunagi's path crosses three processes (viewer, relay, client): the same pipe proxy three times in
    // a row is what those hops alone cost on this machine, so a run can tell the hops from the rest.
    const chain = async (target: number) => {
      const hops: Child[] = [];
      for (let i = 0; i < 3; i++) {
        const hop = await startProcess("proxy", {
          targetPort: i === 0 ? target : Number(hops[i - 1]?.info.port),
        });
        hops.push(hop);
      }
      children.push(...hops);
      return hops;
    };
    const chainBulk = await chain(bulkTarget);
    const chainEcho = await chain(echoPort);
    paths.push({
      name: PIPE_CHAIN,
      bulkPort: Number(chainBulk[2]?.info.port),
      echoPort: Number(chainEcho[2]?.info.port),
      cpu: () => [["proxies", [...chainBulk, ...chainEcho].reduce((sum, c) => sum + cpuSeconds(c.pid), 0)]],
    });

    if (existsSync(SOCAT)) {
      const ports = [await freePort(), await freePort()];
      const forwarders = [bulkTarget, echoPort].map((target, i) =>
        program(SOCAT, [`TCP-LISTEN:${ports[i]},bind=127.0.0.1,reuseaddr,fork`, `TCP:127.0.0.1:${target}`]),
      );
      for (const port of ports) await listening(port);
      paths.push({
        name: "socat",
        bulkPort: ports[0] as number,
        echoPort: ports[1] as number,
        cpu: () => [["socat", forwarders.reduce((sum, f) => sum + treeCpuSeconds(f.pid ?? 0), 0)]],
      });
    } else {
      notes.push(`${SOCAT} absent: socat skipped (apt-get install socat)`);
    }

    if (opensshPresent("bench:datapath")) {
      sshd = await startSshd();
      const running = sshd;
      const ports = [await freePort(), await freePort()];
      const ssh = program(SSH, [
        ...running.sshArgs(running.port),
        ...["-N", "-o", "ExitOnForwardFailure=yes"],
        ...["-L", `127.0.0.1:${ports[0]}:127.0.0.1:${bulkTarget}`],
        ...["-L", `127.0.0.1:${ports[1]}:127.0.0.1:${echoPort}`],
        `${running.user}@127.0.0.1`,
      ]);
      for (const port of ports) await listening(port);
      paths.push({
        name: "ssh -L (sshd)",
        bulkPort: ports[0] as number,
        echoPort: ports[1] as number,
        cpu: () => [
          ["ssh", cpuSeconds(ssh.pid ?? 0)],
          ["sshd", treeCpuSeconds(running.pid)],
        ],
      });
    } else {
      notes.push("OpenSSH absent: ssh -L skipped (apt-get install openssh-server)");
    }

    // Tsunagi: one relay per TLS mode, each with a pair for the iperf3 server and a pair for the echo.
    const cert = certificate(dir);
    const ca = readFileSync(cert.certFile, "utf8");
    for (const mode of tlsModes) {
      const { tls } = mode;
      const relay = await startRelayProcess(relayBinary, {
        DATABASE_URL: db.url,
        ...(tls ? { TSUNAGI_TLS_CERT: cert.certFile, TSUNAGI_TLS_KEY: cert.keyFile } : {}),
        TSUNAGI_SEALED_CHANNELS: mode.sealed ? "1" : "0",
      });
      relays.push(relay);
      const agent = (role: "bulk" | "echo") => ({
        server: relay.url,
        serverHost: SERVER_HOST,
        user: benchUser(mode, role),
        password: PASSWORD,
        dataPath,
        ...(tls ? { ca } : {}),
      });
      const agents = [
        await startProcess("client", { ...agent("bulk"), forwardPort: bulkTarget }),
        await startProcess("client", { ...agent("echo"), forwardPort: echoPort }),
      ];
      const viewers = [
        await startProcess("viewer", { ...agent("bulk"), usbKeySerial: USB_KEY }),
        await startProcess("viewer", { ...agent("echo"), usbKeySerial: USB_KEY }),
      ];
      children.push(...agents, ...viewers);
      paths.push({
        name: `Tsunagi ${mode.label}`,
        bulkPort: Number(viewers[0]?.info.port),
        echoPort: Number(viewers[1]?.info.port),
        relay,
        tsunagi: true,
        cpu: () => [
          ["relay", cpuSeconds(relay.pid)],
          // Apart: the viewer's agent encrypts what the client's decrypts, and the two cost unlike.
          ["viewer agent", viewers.reduce((sum, c) => sum + cpuSeconds(c.pid), 0)],
          ["client agent", agents.reduce((sum, c) => sum + cpuSeconds(c.pid), 0)],
        ],
      });
      console.log(`Tsunagi ${mode.label}: relay pid ${relay.pid} at ${relay.url}`);
    }
    for (const note of notes) console.log(`note: ${note}`);

    // A relay that crashes ends the run rather than leaving its agents to wait for it.
    await Promise.race([measure(paths, Boolean(iperfPort), ca), ...relays.map((r) => r.died)]);
  } finally {
    for (const child of children.reverse()) await child.stop();
    for (const relay of relays.reverse()) await relay.stop();
    finishing = true;
    for (const child of spawned) child.kill("SIGTERM");
    await sshd?.stop();
    echo.close();
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function measure(paths: Path[], withIperf: boolean, ca: string): Promise<void> {
  // Round trips first (the machine is quietest before the bulk rounds have heated anything up): one
  // connection per path, a warm-up, then blocks of BLOCK alternating between the paths.
  const trips = await Promise.all(
    paths.map(async (path) => ({ path, trip: await keystrokes(path.echoPort), times: [] as number[] })),
  );
  for (const t of trips) for (let i = 0; i < 200; i++) await t.trip();
  for (let done = 0; done < roundTrips; done += BLOCK) {
    for (const t of trips) {
      for (let i = 0; i < Math.min(BLOCK, roundTrips - done); i++) t.times.push(await t.trip());
    }
  }
  const latency = new Map(
    trips.map((t) => {
      const sorted = [...t.times].sort((a, b) => a - b);
      return [
        t.path.name,
        { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) },
      ] as const;
    }),
  );

  const throughput = new Map<string, number[]>();
  const cpuPerGib = new Map<string, Map<string, number>>();
  const relayedShare = new Map<string, number>();
  if (withIperf) {
    // One short unmeasured run each: JIT, TCP autotuning, the first window grants.
    for (const path of paths) await iperf(path.bulkPort, 1, path.name);
    const carried = new Map<string, number>();
    const spent = new Map<string, Map<string, number>>();
    const relayed = new Map<string, number>();
    for (let round = 0; round < rounds; round++) {
      // A rotating order, so no path always runs first (or right after the heaviest).
      const order = paths.map((_, i) => paths[(i + round) % paths.length] as Path);
      for (const path of order) {
        const relayedBefore = path.relay ? await relayedBytes(path.relay, ca) : 0;
        const before = path.cpu();
        const result = await iperf(path.bulkPort, seconds, path.name);
        // sshd's session processes and socat's children may be reaped a moment after the run ends.
        await sleep(200);
        const after = path.cpu();
        throughput.set(path.name, [...(throughput.get(path.name) ?? []), result.bps]);
        carried.set(path.name, (carried.get(path.name) ?? 0) + result.bytes);
        const mine = spent.get(path.name) ?? new Map<string, number>();
        for (const [i, [label, value]] of after.entries()) {
          mine.set(label, (mine.get(label) ?? 0) + value - (before[i]?.[1] ?? 0));
        }
        spent.set(path.name, mine);
        if (path.relay) {
          relayed.set(
            path.name,
            (relayed.get(path.name) ?? 0) + (await relayedBytes(path.relay, ca)) - relayedBefore,
          );
        }
      }
    }
    for (const path of paths) {
      const gib = (carried.get(path.name) ?? 0) / 1024 ** 3;
      const per = new Map<string, number>();
      for (const [label, value] of spent.get(path.name) ?? []) per.set(label, value / gib);
      cpuPerGib.set(path.name, per);
      if (path.relay) {
        relayedShare.set(path.name, (relayed.get(path.name) ?? 0) / (carried.get(path.name) ?? 1));
      }
    }
  }

  const direct = latency.get("direct") ?? { p50: 0, p95: 0, p99: 0 };
  const added = (name: string) => {
    const l = latency.get(name) ?? direct;
    return { p50: l.p50 - direct.p50, p95: l.p95 - direct.p95 };
  };
  console.log();
  console.log(
    `iperf3, 1 stream client → server, ${seconds} s per run, median of ${rounds} (rounds alternate the paths); round trip: 1 byte through an echo server, ${roundTrips} per path in alternating blocks of ${BLOCK}`,
  );
  const header = [
    "path".padEnd(28),
    "Gbit/s".padStart(7),
    "  runs".padEnd(22),
    "CPU s/GiB".padEnd(50),
    "RTT µs p50/p95/p99".padEnd(20),
    "added µs p50/p95",
  ];
  console.log(header.join(" "));
  for (const path of paths) {
    const runs = throughput.get(path.name) ?? [];
    const l = latency.get(path.name) ?? direct;
    const a = added(path.name);
    const cpu = [...(cpuPerGib.get(path.name) ?? [])].map(([label, v]) => `${label} ${v.toFixed(2)}`);
    console.log(
      [
        path.name.padEnd(28),
        (runs.length ? gbit(median(runs)) : "-").padStart(7),
        `  [${runs.map(gbit).join(", ")}]`.padEnd(22),
        (cpu.join(", ") || "-").padEnd(50),
        `${us(l.p50)}/${us(l.p95)}/${us(l.p99)}`.padEnd(20),
        path.name === "direct" ? "-" : `${us(a.p50)}/${us(a.p95)}`,
      ].join(" "),
    );
  }

  const pipe = "node pipe proxy";
  for (const t of paths.filter((p) => p.tsunagi)) {
    console.log();
    const mine = median(throughput.get(t.name) ?? []);
    const ratios = paths
      .filter((p) => !p.tsunagi && (throughput.get(p.name) ?? []).length)
      .map((p) => `${p.name} ${(mine / median(throughput.get(p.name) ?? [])).toFixed(2)}`);
    console.log(`${t.name} (${dataPath}): throughput ratio to ${ratios.join(", ") || "-"}`);
    if (relayedShare.has(t.name)) {
      console.log(
        `  bytes the relay counted on the multiplexed path (/metrics) / bytes carried: ${(relayedShare.get(t.name) ?? 0).toFixed(2)} (≈1: the mux path carried them; ≈0: another path did)`,
      );
    }
    const sshRuns = throughput.get("ssh -L (sshd)") ?? [];
    const pipeRuns = throughput.get(pipe) ?? [];
    const relayCpu = cpuPerGib.get(t.name)?.get("relay");
    const pipeCpu = cpuPerGib.get(pipe)?.get("proxy");
    const aims: string[] = [];
    if (sshRuns.length) {
      const r = mine / median(sshRuns);
      aims.push(`throughput ≥ ssh -L: ${r.toFixed(2)} ${r >= 1 ? "met" : "NOT met"}`);
    }
    if (relayCpu !== undefined && pipeCpu) {
      const r = relayCpu / pipeCpu;
      aims.push(`relay CPU/GiB ≤ 1.2× pipe: ${r.toFixed(2)}× ${r <= 1.2 ? "met" : "NOT met"}`);
    }
    if (pipeRuns.length || latency.has(pipe)) {
      const r = added(t.name).p50 / Math.max(added(pipe).p50, 1e-6);
      aims.push(`added round trip ≤ 2× pipe's (p50): ${r.toFixed(2)}× ${r <= 2 ? "met" : "NOT met"}`);
    }
    console.log(`  aims: ${aims.join("; ")}`);
    if (latency.has(PIPE_CHAIN)) {
      const hops = added(PIPE_CHAIN).p50;
      const chainRuns = throughput.get(PIPE_CHAIN) ?? [];
      console.log(
        `  against three pipe proxies in a row (the same three hops): added round trip ${(added(t.name).p50 / Math.max(hops, 1e-6)).toFixed(2)}×${chainRuns.length ? `, throughput ${(mine / median(chainRuns)).toFixed(2)}` : ""}`,
      );
    }
    const k = latency.get(t.name);
    if (k) {
      console.log(
        `  keystroke round trip through Tsunagi: p50 ${us(k.p50)} µs, p95 ${us(k.p95)} µs, p99 ${us(k.p99)} µs (a Nagle delay would show as ~40 000)`,
      );
    }
  }
}

/**
 * The relay's multiplexed tunnel payload (both directions: relayed minus spliced), from its /metrics.
 */
async function relayedBytes(relay: RelayProcess, ca: string): Promise<number> {
  const values = await scrapeMetrics(relay.url, ca);
  return (
    (values.get("tsunagi_relay_relayed_bytes_total") ?? 0) -
    (values.get("tsunagi_relay_spliced_bytes_total") ?? 0)
  );
}

runBench(main, () => {
  for (const child of spawned) child.kill("SIGKILL");
});
