/**
 * Benchmarks, run on demand (`pnpm --filter @tsunagi/relay bench`), each against its baseline measured
 * in the same run on the same machine:
 *   - handshakes per second vs this machine's argon2id verify ceiling at the same parameters and the
 *     same concurrency bound (ratio), and p50 / p99 handshake latency at 50 concurrent;
 *   - tunnel throughput vs a plain Node TCP pipe proxy (ratio), and the latency a round trip gains.
 * An embedded PostgreSQL in a temporary directory holds the data; nothing is left behind.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { connectAndAuthenticate, startClient, startViewer } from "@tsunagi/agent";
import { hashSecret, verifySecret } from "@tsunagi/core";
import { connect, ensureDatabase, migrate, schema, startEmbedded } from "@tsunagi/db";
import { silentLog } from "../src/log.js";
import { createRelay } from "../src/relay.js";

const PASSWORD = "bench-password";
const CONCURRENCY = 50;
const HANDSHAKES = 600;
const THROUGHPUT_BYTES = 256 * 1024 * 1024;
const ROUND_TRIPS = 2000;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const listenPort = (server: Server) => (server.address() as { port: number }).port;

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

async function handshakes(url: string, users: string[]) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < users.length) {
        const user = users[next++] as string;
        const t0 = performance.now();
        const { ws } = await connectAndAuthenticate(
          { server: url, serverHost: "bench", user, password: PASSWORD },
          { role: "client" },
        );
        latencies.push(performance.now() - t0);
        ws.close();
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

/** A server that counts and discards; resolves `done` once `bytes` arrived. */
function sink(bytes: number) {
  let received = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((r) => {
    finish = r;
  });
  const server = createServer((s) => {
    s.on("data", (d: Buffer) => {
      received += d.length;
      if (received >= bytes) finish();
    });
    s.on("error", () => {});
  });
  return { server, done, reset: () => (received = 0) };
}

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

function pipeProxy(targetPort: number): Server {
  return createServer((inbound) => {
    const outbound = tcpConnect({ host: "127.0.0.1", port: targetPort });
    inbound.on("error", () => {});
    outbound.on("error", () => {});
    inbound.pipe(outbound).pipe(inbound);
  });
}

const listen = (server: Server) => new Promise<void>((r) => server.listen(0, "127.0.0.1", r));

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), "tsunagi-bench-"));
  const pg = await startEmbedded({ dataDir, ephemeral: true });
  await ensureDatabase(pg.adminUrl, "bench");
  const url = pg.urlFor("bench");
  await migrate(url);
  const { db, close } = connect(url, { max: 20 });
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
        usbKeySerial: "BENCH-KEY",
      })),
    );

    const relay = createRelay({
      db,
      log: silentLog,
      config: {
        rateLimitPerAddress: { burst: 1e9, perSecond: 1e9 },
        rateLimitPerUser: { burst: 1e9, perSecond: 1e9 },
      },
    });
    const { url: relayUrl } = await relay.listen(0);

    console.log(
      `cores: ${availableParallelism()}, argon2id m=19456 KiB t=2 p=1, concurrency bound ${relay.config.maxConcurrentHashes}`,
    );
    const ceiling = await argonCeiling(hash, 4);
    const hs = await handshakes(relayUrl, names.slice(1));
    console.log(`argon2id verify ceiling:   ${ceiling.toFixed(1)} /s`);
    console.log(
      `handshakes (client, ${CONCURRENCY} concurrent): ${hs.perSecond.toFixed(1)} /s  ratio ${(hs.perSecond / ceiling).toFixed(2)}`,
    );
    console.log(`handshake latency:         p50 ${hs.p50.toFixed(0)} ms, p99 ${hs.p99.toFixed(0)} ms`);

    // Tunnel: the viewer's port → relay → client → sink, vs a plain pipe proxy → sink.
    const tunnelSink = sink(THROUGHPUT_BYTES);
    const echo = createServer((s) => {
      s.on("error", () => {});
      s.pipe(s);
    });
    await Promise.all([listen(tunnelSink.server), listen(echo)]);
    const user = names[0] as string;
    const client = startClient({
      server: relayUrl,
      serverHost: "bench",
      user,
      password: PASSWORD,
      forward: { host: "127.0.0.1", port: listenPort(tunnelSink.server) },
    });
    await client.ready;
    const viewer = await startViewer({
      server: relayUrl,
      serverHost: "bench",
      user,
      password: PASSWORD,
      product: "usb-ndl",
      usbKeySerial: "BENCH-KEY",
      listen: { host: "127.0.0.1", port: 0 },
    });
    const tunnelMiBs = await pushThrough(viewer.listening.port, THROUGHPUT_BYTES, tunnelSink.done);
    const plainSink = sink(THROUGHPUT_BYTES);
    await listen(plainSink.server);
    const proxy = pipeProxy(listenPort(plainSink.server));
    await listen(proxy);
    const plainMiBs = await pushThrough(listenPort(proxy), THROUGHPUT_BYTES, plainSink.done);
    console.log(
      `throughput: tunnel ${tunnelMiBs.toFixed(0)} MiB/s, plain pipe proxy ${plainMiBs.toFixed(0)} MiB/s  ratio ${(tunnelMiBs / plainMiBs).toFixed(2)}`,
    );
    await viewer.close();
    await client.stop();

    // Round trips: for latency, the client forwards to the echo server.
    const echoClient = startClient({
      server: relayUrl,
      serverHost: "bench",
      user,
      password: PASSWORD,
      forward: { host: "127.0.0.1", port: listenPort(echo) },
    });
    await echoClient.ready;
    const echoViewer = await startViewer({
      server: relayUrl,
      serverHost: "bench",
      user,
      password: PASSWORD,
      product: "usb-ndl",
      usbKeySerial: "BENCH-KEY",
      listen: { host: "127.0.0.1", port: 0 },
    });
    const echoProxy = pipeProxy(listenPort(echo));
    await listen(echoProxy);
    const direct = await roundTrip(listenPort(echo));
    const viaProxy = await roundTrip(listenPort(echoProxy));
    const viaTunnel = await roundTrip(echoViewer.listening.port);
    console.log(
      `round trip (1 byte): direct ${(direct * 1000).toFixed(0)} µs, pipe proxy ${(viaProxy * 1000).toFixed(0)} µs, tunnel ${(viaTunnel * 1000).toFixed(0)} µs  added by the tunnel ${((viaTunnel - direct) * 1000).toFixed(0)} µs`,
    );
    await echoViewer.close();
    await echoClient.stop();
    for (const s of [tunnelSink.server, plainSink.server, proxy, echo, echoProxy]) s.close();
    await relay.close();
  } finally {
    await close();
    await pg.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
