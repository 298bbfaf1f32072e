/**
 * Benchmarks, run on demand (`pnpm --filter @tsunagi/relay bench`), each against its baseline measured
 * in the same run on the same machine:
 *   - handshakes per second vs this machine's argon2id verify ceiling at the same parameters and the
 *     same concurrency bound (ratio), and p50 / p99 handshake latency at 50 concurrent, next to one
 *     verification alone and to the wait that queueing alone explains (50 in flight / the ceiling);
 *   - tunnel throughput vs a plain Node TCP pipe proxy (ratio), and the latency a round trip gains.
 *
 * As in production, the relay, the client and the viewer each run in a process of their own
 * (`bench/proc.ts`), and so does the baseline's pipe proxy; this process only pushes bytes in and
 * counts them out (the same pusher and sink for both paths). Throughput rounds alternate between the
 * tunnel and the proxy and the median of each is compared, so a noisy neighbour hits both alike.
 *
 * `BENCH_CPU_PROF=DIR` runs every child with `--cpu-prof` and leaves the profiles in DIR;
 * `BENCH_MIB=N` sets the bytes per throughput round (default 256 MiB), `BENCH_ROUNDS` the rounds (3),
 * `BENCH_ONLY=tunnel` skips the handshake part.
 * An embedded PostgreSQL in a temporary directory holds the data; nothing is left behind.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { hashSecret, verifySecret } from "@tsunagi/core/password";
import { connect, migrate, schema } from "@tsunagi/db";
import { ensureDatabase, startEmbedded } from "@tsunagi/db/server";
import { type Child, clientHandshakes, cpuSeconds, median, runBench, startProcess } from "./measure.js";

const PASSWORD = "bench-password";
const USB_KEY = "BENCH-KEY";
const CONCURRENCY = 50;
const HANDSHAKES = 600;
const THROUGHPUT_BYTES = Number(process.env.BENCH_MIB ?? 256) * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROUND_TRIPS = 2000;
const ONLY_TUNNEL = process.env.BENCH_ONLY === "tunnel";

const listenPort = (server: Server) => (server.address() as { port: number }).port;
const listen = (server: Server) => new Promise<void>((r) => server.listen(0, "127.0.0.1", r));

const cpuNow = (pids: number[]) => pids.map(cpuSeconds);

async function argonCeiling(hash: string, seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: availableParallelism() }, async () => {
      while (performance.now() < until) {
        await verifySecret(hash, PASSWORD);
        done++;
      }
    }),
  );
  return done / seconds;
}

/** One verification at a time: the floor of a single handshake's latency. */
async function singleVerifyMs(hash: string, count: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await verifySecret(hash, PASSWORD);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** A server that counts and discards; `expect(bytes)` resolves once that many more arrived. */
function sink() {
  let received = 0;
  let wanted = Number.POSITIVE_INFINITY;
  let finish: () => void = () => {};
  const server = createServer((s) => {
    s.on("data", (d: Buffer) => {
      received += d.length;
      if (received >= wanted) finish();
    });
    s.on("error", () => {});
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

/** MiB/s from the first byte written to the last byte counted by the sink. */
async function pushThrough(port: number, bytes: number, until: Promise<void>): Promise<number> {
  const socket = tcpConnect({ host: "127.0.0.1", port });
  await new Promise<void>((r) => socket.once("connect", () => r()));
  const chunk = Buffer.alloc(256 * 1024, 7);
  const t0 = performance.now();
  let sent = 0;
  while (sent < bytes) {
    sent += chunk.length;
    if (!socket.write(chunk)) await new Promise((r) => socket.once("drain", r));
  }
  await until;
  const seconds = (performance.now() - t0) / 1000;
  socket.destroy();
  return bytes / seconds / (1024 * 1024);
}

async function roundTrip(port: number): Promise<number> {
  const socket: Socket = tcpConnect({ host: "127.0.0.1", port });
  socket.setNoDelay(true);
  await new Promise<void>((r) => socket.once("connect", () => r()));
  const one = Buffer.from([1]);
  const once = () =>
    new Promise<void>((r) => {
      socket.once("data", () => r());
      socket.write(one);
    });
  for (let i = 0; i < 100; i++) await once(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) await once();
  const perTrip = (performance.now() - t0) / ROUND_TRIPS;
  socket.destroy();
  return perTrip;
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), "tsunagi-bench-"));
  const pg = await startEmbedded({ dataDir, ephemeral: true });
  await ensureDatabase(pg.adminUrl, "bench");
  const url = pg.urlFor("bench");
  await migrate(url);
  const { db, close } = connect(url, { max: 5 });
  const running: Child[] = [];
  const start = async (role: string, args: object) => {
    const child = await startProcess(role, args);
    running.push(child);
    return child;
  };
  try {
    const hash = await hashSecret(PASSWORD);
    const [contract] = await db
      .insert(schema.contracts)
      .values({ contractCode: "B00001", name: "Bench", model: "legacy", serverHost: "bench" })
      .returning();
    if (!contract) throw new Error("no contract");
    const names = Array.from({ length: HANDSHAKES + 1 }, (_, i) => `bench.${i}`);
    await db.insert(schema.users).values(
      names.map((userName) => ({
        contractId: contract.id,
        serverHost: "bench",
        userName,
        passwordHash: hash,
        viewerProduct: "usb-ndl" as const,
        usbKeySerial: USB_KEY,
      })),
    );

    const relay = await start("relay", { databaseUrl: url });
    const relayUrl = String(relay.info.url);
    const bound = Number(relay.info.maxConcurrentHashes);
    console.log(
      `cores: ${availableParallelism()}, argon2id m=19456 KiB t=2 p=1, concurrency bound ${bound}; relay, client, viewer and pipe proxy each in their own process`,
    );

    if (!ONLY_TUNNEL) {
      const oneVerify = await singleVerifyMs(hash, 20);
      const ceiling = await argonCeiling(hash, 4);
      const hs = await clientHandshakes(relayUrl, names.slice(1), PASSWORD, { concurrency: CONCURRENCY });
      // 50 handshakes in flight, served at (at best) the verify ceiling: by Little's law each waits
      // about 50 / ceiling, however fast one verification alone is.
      const queueing = (CONCURRENCY / ceiling) * 1000;
      console.log(
        `argon2id verify, one at a time: ${oneVerify.toFixed(1)} ms (the floor of one handshake's latency)`,
      );
      console.log(`argon2id verify ceiling:   ${ceiling.toFixed(1)} /s (${bound} at once)`);
      console.log(
        `handshakes (client, ${CONCURRENCY} concurrent): ${hs.perSecond.toFixed(1)} /s  ratio ${(hs.perSecond / ceiling).toFixed(2)}`,
      );
      console.log(
        `handshake latency:         p50 ${hs.p50.toFixed(0)} ms, p99 ${hs.p99.toFixed(0)} ms  (queueing alone: ${CONCURRENCY} in flight / ${ceiling.toFixed(1)} per s = ${queueing.toFixed(0)} ms; p50 / that ${(hs.p50 / queueing).toFixed(2)})`,
      );
    }

    // Tunnel: pusher → viewer's port → relay → client → sink, vs pusher → pipe proxy → sink.
    const tunnelSink = sink();
    const plainSink = sink();
    const echo = createServer((s) => {
      s.on("error", () => {});
      s.pipe(s);
    });
    await Promise.all([listen(tunnelSink.server), listen(plainSink.server), listen(echo)]);
    const agent = {
      server: relayUrl,
      serverHost: "bench",
      user: names[0],
      password: PASSWORD,
    };
    const client = await start("client", { ...agent, forwardPort: listenPort(tunnelSink.server) });
    const viewer = await start("viewer", { ...agent, usbKeySerial: USB_KEY });
    const proxy = await start("proxy", { targetPort: listenPort(plainSink.server) });
    const tunnelRuns: number[] = [];
    const plainRuns: number[] = [];
    // CPU seconds per GiB carried, for each process on each path (this one pushes and counts for both).
    const tunnelPids = [process.pid, viewer.pid, relay.pid, client.pid];
    const plainPids = [process.pid, proxy.pid];
    const tunnelCpu = [0, 0, 0, 0];
    const plainCpu = [0, 0];
    const addCpu = (into: number[], before: number[], after: number[]) => {
      for (let i = 0; i < into.length; i++) into[i] = (into[i] ?? 0) + (after[i] ?? 0) - (before[i] ?? 0);
    };
    // One short unmeasured round each: JIT, TCP buffer autotuning and the first window grants settle.
    const warmUp = 32 * 1024 * 1024;
    await pushThrough(Number(viewer.info.port), warmUp, tunnelSink.expect(warmUp));
    await pushThrough(Number(proxy.info.port), warmUp, plainSink.expect(warmUp));
    for (let round = 0; round < ROUNDS; round++) {
      let before = cpuNow(tunnelPids);
      tunnelRuns.push(
        await pushThrough(Number(viewer.info.port), THROUGHPUT_BYTES, tunnelSink.expect(THROUGHPUT_BYTES)),
      );
      addCpu(tunnelCpu, before, cpuNow(tunnelPids));
      before = cpuNow(plainPids);
      plainRuns.push(
        await pushThrough(Number(proxy.info.port), THROUGHPUT_BYTES, plainSink.expect(THROUGHPUT_BYTES)),
      );
      addCpu(plainCpu, before, cpuNow(plainPids));
    }
    const tunnelMiBs = median(tunnelRuns);
    const plainMiBs = median(plainRuns);
    console.log(
      `throughput (${THROUGHPUT_BYTES / 1024 / 1024} MiB, median of ${ROUNDS}): tunnel ${tunnelMiBs.toFixed(0)} MiB/s [${tunnelRuns.map((r) => r.toFixed(0)).join(", ")}], plain pipe proxy ${plainMiBs.toFixed(0)} MiB/s [${plainRuns.map((r) => r.toFixed(0)).join(", ")}]  ratio ${(tunnelMiBs / plainMiBs).toFixed(2)}`,
    );
    const gib = (ROUNDS * THROUGHPUT_BYTES) / 1024 ** 3;
    const perGib = (cpu: number[], names: string[]) =>
      names.map((name, i) => `${name} ${((cpu[i] ?? 0) / gib).toFixed(2)}`).join(", ");
    console.log(
      `CPU s per GiB: tunnel [${perGib(tunnelCpu, ["pusher+sink", "viewer", "relay", "client"])}], pipe proxy [${perGib(plainCpu, ["pusher+sink", "proxy"])}]`,
    );
    await viewer.stop();
    await client.stop();
    await proxy.stop();

    // Round trips: for latency, the client forwards to the echo server.
    await start("client", { ...agent, forwardPort: listenPort(echo) }); // stopped with the others at the end
    const echoViewer = await start("viewer", { ...agent, usbKeySerial: USB_KEY });
    const echoProxy = await start("proxy", { targetPort: listenPort(echo) });
    const direct = await roundTrip(listenPort(echo));
    const viaProxy = await roundTrip(Number(echoProxy.info.port));
    const viaTunnel = await roundTrip(Number(echoViewer.info.port));
    console.log(
      `round trip (1 byte): direct ${(direct * 1000).toFixed(0)} µs, pipe proxy ${(viaProxy * 1000).toFixed(0)} µs, tunnel ${(viaTunnel * 1000).toFixed(0)} µs  added by the tunnel ${((viaTunnel - direct) * 1000).toFixed(0)} µs`,
    );
    for (const s of [tunnelSink.server, plainSink.server, echo]) s.close();
  } finally {
    // Agents first, then the relay (it ends their sessions in the database), then the database.
    for (const child of running.reverse()) await child.stop();
    await close();
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

runBench(main);
