/**
 * Pairing across two relays against pairing on one (on demand: `pnpm --filter @tsunagi/relay
 * bench:cross [--round-trips 2000] [--mib 256] [--rounds 3] [--tls] [--relay dist|source]`): the round trip a
 * small message gains when the viewer's relay forwards to the client's over the internal link, and the
 * throughput ratio of a bulk transfer, cross / single, both paths measured in the same run (issue 11).
 *
 * Two relays run as operators run them, each its own process on one database (`measure.ts`), each a
 * fleet node that links to the other. One pair has its viewer and its client on relay A (single); the
 * other its viewer on A and its client on B (cross). Each client, viewer and relay is a process of its
 * own (`proc.ts`); this process only pushes bytes in and counts them out, through one target server
 * behind both clients whose first byte per connection says echo (E) or count and discard (S), so the
 * two paths differ only in the link. Round trips alternate between the paths in blocks and bulk rounds
 * alternate too, so a noisy neighbour hits both alike. With `--tls` both relays serve wss:// with a
 * certificate of the bench's own (the agents' CA) and so seal their channels (docs/protocol.md
 * "Sealed channels"): a cross channel's link data connection then goes in clear between them. No
 * timed assertion: it prints.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { hashSecret } from "@tsunagi/core/password";
import { connect } from "@tsunagi/db";
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
/** The small message of a round trip. */
const MESSAGE = Buffer.alloc(32, 1);
const BLOCK = 250;

const listen = (server: Server) => new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
const portOf = (server: Server) => (server.address() as { port: number }).port;

/**
 * The service behind both clients: the first byte of each connection picks echo (E) or sink (S); a
 * sink counts what follows it, and `expect(bytes)` resolves once that many more have arrived.
 */
function target() {
  let received = 0;
  let wanted = Number.POSITIVE_INFINITY;
  let finish: () => void = () => {};
  const server = createServer((socket) => {
    socket.on("error", () => {});
    socket.once("data", (first: Buffer) => {
      if (first[0] === 0x45) {
        if (first.length > 1) socket.write(first.subarray(1));
        socket.pipe(socket);
        return;
      }
      const count = (d: Buffer) => {
        received += d.length;
        if (received >= wanted) finish();
      };
      count(first.subarray(1));
      socket.on("data", count);
    });
  });
  return {
    server,
    expect(bytes: number): Promise<void> {
      received = 0;
      wanted = bytes;
      return new Promise<void>((r) => {
        finish = r;
      });
    },
  };
}

async function open(port: number, mode: "E" | "S"): Promise<Socket> {
  const socket = tcpConnect({ host: "127.0.0.1", port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  socket.write(mode);
  return socket;
}

/** Sends the small message and waits for all of it back; the time of each, in ms. */
function echoer(socket: Socket) {
  let got = 0;
  let done: () => void = () => {};
  let fail: (error: Error) => void = () => {};
  socket.on("data", (d: Buffer) => {
    got += d.length;
    if (got >= MESSAGE.length) {
      got -= MESSAGE.length;
      done();
    }
  });
  // A path that cannot carry the channel closes the viewer's local connection: say so, never hang.
  socket.on("close", () => fail(new Error("the path closed the connection during a round trip")));
  return async (): Promise<number> => {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      done = resolve;
      fail = reject;
      socket.write(MESSAGE);
    });
    return performance.now() - t0;
  };
}

/** MiB/s from the first byte written to the last byte counted by the target. */
async function push(port: number, bytes: number, until: Promise<void>): Promise<number> {
  const socket = await open(port, "S");
  const chunk = Buffer.alloc(256 * 1024, 7);
  const t0 = performance.now();
  let sent = 0;
  while (sent < bytes) {
    sent += chunk.length;
    if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r));
  }
  await Promise.race([
    until,
    new Promise<never>((_, reject) =>
      socket.once("close", () => reject(new Error("the path closed the connection during a bulk round"))),
    ),
  ]);
  const seconds = (performance.now() - t0) / 1000;
  socket.destroy();
  return bytes / seconds / (1024 * 1024);
}

/** Waits until the relay has printed its fleet node line (it follows "listening"). */
async function nodeOf(relay: RelayProcess): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const match = relay.output().match(/^relay node (\S+) internal (\S+)/m);
    if (match) return `node ${match[1]}, internal ${match[2]}`;
    await sleep(100);
  }
  return "no fleet node line printed";
}

const roundTrips = Number(option("round-trips", "2000"));
const bytes = Number(option("mib", "256")) * 1024 * 1024;
const rounds = Number(option("rounds", "3"));
/** The agents' data path (proc.ts hands it on); their default (auto) unless given. */
const dataPath = option("data-path", "");
/** Relays with TLS of their own (and so sealed channels). */
const tls = process.argv.includes("--tls");

/** The bench's CA with `--tls` (the agents trust it; the metrics scrape too). */
let ca: string | undefined;
const cleanup: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  const program = relayProgram();
  const db = await startBenchDatabase("bench_cross");
  const relays: RelayProcess[] = [];
  const agents: Child[] = [];
  const service = target();
  try {
    const hash = await hashSecret(PASSWORD);
    const setup = connect(db.url, { max: 1 });
    const [contract] = await setup.sql`
      insert into contracts (contract_code, name, model, server_host)
      values ('B00012', 'Cross bench', 'legacy', ${SERVER_HOST}) returning id`;
    await setup.sql`
      insert into users (contract_id, server_host, user_name, password_hash, viewer_product, usb_key_serial)
      select ${contract?.id}, ${SERVER_HOST}, name, ${hash}, 'usb-ndl', ${USB_KEY}
      from unnest(array['pair.single', 'pair.cross']) name`;
    await setup.close();

    const dir = await mkdtemp(join(tmpdir(), "tsunagi-cross-"));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const cert = tls ? certificate(dir) : undefined;
    if (cert) ca = readFileSync(cert.certFile, "utf8");
    const tlsEnv: Record<string, string> = cert
      ? { TSUNAGI_TLS_CERT: cert.certFile, TSUNAGI_TLS_KEY: cert.keyFile }
      : {};
    // One after the other: the second finds the first registered and links to it.
    for (const _ of ["A", "B"]) {
      relays.push(await startRelayProcess(program, { DATABASE_URL: db.url, ...tlsEnv }));
    }
    const [a, b] = relays as [RelayProcess, RelayProcess];
    console.log(`relays: ${program.label}, each its own process on one database`);
    console.log(`  A pid ${a.pid} ${a.url}, ${await nodeOf(a)}`);
    console.log(`  B pid ${b.pid} ${b.url}, ${await nodeOf(b)}`);
    console.log(
      `machine: ${availableParallelism()} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    // A relay that crashes ends the run: its agents would otherwise wait for it for ever.
    await Promise.race([measure(a, b, service, agents), a.died, b.died]);
  } finally {
    // Agents first, then the relays (each ends its sessions), then the database.
    for (const child of agents.reverse()) await child.stop();
    for (const relay of relays.reverse()) await relay.stop();
    service.server.close();
    await db.stop();
    for (const done of cleanup) await done();
  }
}

/** The pairs, then the round trips and the bulk rounds on both paths; agents started join `agents`. */
async function measure(
  a: RelayProcess,
  b: RelayProcess,
  service: ReturnType<typeof target>,
  agents: Child[],
): Promise<void> {
  await listen(service.server);
  const agent = (user: string, relay: RelayProcess) => ({
    server: relay.url,
    serverHost: SERVER_HOST,
    user,
    password: PASSWORD,
    ...(dataPath ? { dataPath } : {}),
    ...(ca ? { ca } : {}),
  });
  const start = async (role: string, args: object) => {
    const child = await startProcess(role, args);
    agents.push(child);
    return child;
  };
  const forwardPort = portOf(service.server);
  await start("client", { ...agent("pair.single", a), forwardPort });
  await start("client", { ...agent("pair.cross", b), forwardPort });
  const single = await start("viewer", { ...agent("pair.single", a), usbKeySerial: USB_KEY });
  const cross = await start("viewer", { ...agent("pair.cross", a), usbKeySerial: USB_KEY });
  const paths = [
    { name: "single", port: Number(single.info.port) },
    { name: "cross", port: Number(cross.info.port) },
  ] as const;
  console.log(
    `pairs: single = viewer and client on A; cross = viewer on A, client on B (A forwards over the link); agents' data path: ${dataPath || "their default (auto)"}`,
  );

  // Round trips on one connection per path, alternating in blocks after a warm-up.
  const trips = await Promise.all(
    paths.map(async (path) => ({
      ...path,
      trip: echoer(await open(path.port, "E")),
      times: [] as number[],
    })),
  );
  const direct = echoer(await open(forwardPort, "E"));
  const directTimes: number[] = [];
  for (let i = 0; i < 100; i++) for (const t of trips) await t.trip();
  for (let i = 0; i < 100; i++) await direct();
  for (let done = 0; done < roundTrips; done += BLOCK) {
    for (const t of trips) {
      for (let i = 0; i < Math.min(BLOCK, roundTrips - done); i++) t.times.push(await t.trip());
    }
    for (let i = 0; i < Math.min(BLOCK, roundTrips - done) / 5; i++) directTimes.push(await direct());
  }
  const stats = (times: number[]) => {
    const sorted = [...times].sort((x, y) => x - y);
    return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
  };
  const [s, c] = trips.map((t) => stats(t.times)) as [ReturnType<typeof stats>, ReturnType<typeof stats>];
  const d = stats(directTimes);
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  const signedUs = (ms: number) => `${ms >= 0 ? "+" : ""}${us(ms)}`;
  console.log();
  console.log(
    `round trip (${MESSAGE.length} bytes, ${roundTrips} per path, alternating blocks of ${BLOCK}; direct to the echo server ${directTimes.length}):`,
  );
  console.log(`  direct  p50 ${us(d.p50)}  p95 ${us(d.p95)}`);
  console.log(`  single  p50 ${us(s.p50)}  p95 ${us(s.p95)}`);
  console.log(`  cross   p50 ${us(c.p50)}  p95 ${us(c.p95)}`);
  console.log(
    `  added by the second relay: p50 ${signedUs(c.p50 - s.p50)}, p95 ${signedUs(c.p95 - s.p95)}; ratio cross/single p50 ${(c.p50 / s.p50).toFixed(2)}, p95 ${(c.p95 / s.p95).toFixed(2)}`,
  );

  // Bulk, one way: viewer side → client side, alternating the paths round by round.
  const warmUp = 32 * 1024 * 1024;
  for (const path of paths) await push(path.port, warmUp, service.expect(warmUp));
  const runs: Record<string, number[]> = { single: [], cross: [] };
  const cpu: Record<string, [number, number]> = { single: [0, 0], cross: [0, 0] };
  // Payload bytes each relay forwarded (its /metrics): the cross path must show them on both.
  const relayed: Record<string, [number, number]> = { single: [0, 0], cross: [0, 0] };
  const spliced: Record<string, [number, number]> = { single: [0, 0], cross: [0, 0] };
  const relayedNow = () =>
    Promise.all(
      [a, b].map(async (r) => (await scrapeMetrics(r.url, ca)).get("tsunagi_relay_relayed_bytes_total") ?? 0),
    );
  const splicedNow = () =>
    Promise.all(
      [a, b].map(async (r) => (await scrapeMetrics(r.url, ca)).get("tsunagi_relay_spliced_bytes_total") ?? 0),
    );
  for (let round = 0; round < rounds; round++) {
    for (const path of paths) {
      const bytesBefore = await relayedNow();
      const splicedBefore = await splicedNow();
      const before = [cpuSeconds(a.pid), cpuSeconds(b.pid)];
      runs[path.name]?.push(await push(path.port, bytes, service.expect(bytes)));
      const spent = cpu[path.name] as [number, number];
      spent[0] += cpuSeconds(a.pid) - (before[0] ?? 0);
      spent[1] += cpuSeconds(b.pid) - (before[1] ?? 0);
      const bytesAfter = await relayedNow();
      const splicedAfter = await splicedNow();
      const splicedHere = spliced[path.name] as [number, number];
      splicedHere[0] += (splicedAfter[0] ?? 0) - (splicedBefore[0] ?? 0);
      splicedHere[1] += (splicedAfter[1] ?? 0) - (splicedBefore[1] ?? 0);
      const forwarded = relayed[path.name] as [number, number];
      forwarded[0] += (bytesAfter[0] ?? 0) - (bytesBefore[0] ?? 0);
      forwarded[1] += (bytesAfter[1] ?? 0) - (bytesBefore[1] ?? 0);
    }
  }
  const singleMiBs = median(runs.single ?? []);
  const crossMiBs = median(runs.cross ?? []);
  const gib = (rounds * bytes) / 1024 ** 3;
  const list = (values: number[] = []) => values.map((v) => v.toFixed(0)).join(", ");
  const perGib = (name: string) =>
    `relay A ${((cpu[name]?.[0] ?? 0) / gib).toFixed(2)}, relay B ${((cpu[name]?.[1] ?? 0) / gib).toFixed(2)}; MiB relayed (/metrics) A ${((relayed[name]?.[0] ?? 0) / 2 ** 20).toFixed(0)}, B ${((relayed[name]?.[1] ?? 0) / 2 ** 20).toFixed(0)}, of which spliced A ${((spliced[name]?.[0] ?? 0) / 2 ** 20).toFixed(0)}, B ${((spliced[name]?.[1] ?? 0) / 2 ** 20).toFixed(0)}`;
  console.log();
  console.log(`throughput (${bytes / 1024 / 1024} MiB one way, median of ${rounds}):`);
  console.log(
    `  single  ${singleMiBs.toFixed(0)} MiB/s [${list(runs.single)}]  CPU s per GiB: ${perGib("single")}`,
  );
  console.log(
    `  cross   ${crossMiBs.toFixed(0)} MiB/s [${list(runs.cross)}]  CPU s per GiB: ${perGib("cross")}`,
  );
  console.log(`  ratio cross/single ${(crossMiBs / singleMiBs).toFixed(2)}`);
}

runBench(main);
