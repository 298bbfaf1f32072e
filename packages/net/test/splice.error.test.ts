// splice() when a side misbehaves: a receiver that stops reading (back-pressure reaches the sender and
// the splicer holds a bounded amount) and a side that resets (both go, the error is reported).
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SPLICE_MAX_BUFFER, splice } from "../src/splice.js";
import { startProxy, startSlowUnixSink } from "./helpers.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** A server whose connections are kept but never read. */
async function startStuck(): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer({ pauseOnConnect: true }, (s) => {
    s.on("error", () => {});
    sockets.push(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(
    () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r(undefined));
      }),
  );
  return { port: (server.address() as { port: number }).port, sockets };
}

describe.each([
  ["user buffers", false],
  ["stream pipes", true],
])("splice on %s", (_label, pipes) => {
  it("a receiver that stops reading holds the sender back; the splicer holds a bounded amount", async () => {
    const stuck = await startStuck();
    const proxy = await startProxy(stuck.port, { pipes });
    closers.push(() => proxy.close());
    const sender = tcpConnect({ host: "127.0.0.1", port: proxy.port });
    await once(sender, "connect");
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024, 7);
    let queued = 0;
    let peakHeld = 0;
    const sample = setInterval(() => {
      for (const [inbound, outbound] of proxy.pairs) {
        peakHeld = Math.max(peakHeld, inbound.readableLength + outbound.writableLength);
      }
    }, 5);
    for (let i = 0; i < total / chunk.length; i++) {
      sender.write(chunk);
      queued += chunk.length;
    }
    // Long enough for every buffer on the way to fill and the sender's writes to stop being taken.
    await new Promise((r) => setTimeout(r, 1500));
    clearInterval(sample);
    const carried = proxy.bytes();
    // Back-pressure reached the sender: most of its bytes still wait in its own socket...
    expect(sender.writableLength).toBeGreaterThan(queued / 2);
    // ...and what the splicer read is bounded by the kernel buffers, not by what was sent.
    expect(carried).toBeLessThan(16 * 1024 * 1024);
    expect(peakHeld).toBeLessThanOrEqual(Math.max(SPLICE_MAX_BUFFER, 64 * 1024) + 64 * 1024);
    sender.destroy();
  });

  it("small writes that keep coming while the receiver has stopped all arrive intact", async () => {
    // Writes of 1,000 bytes a turn make every read small (a quiet direction, on the shared buffer),
    // and once the stopped receiver's kernel buffers are full the splice's writes stay queued: what
    // they refer to must not be read over.
    const stuck = await startStuck();
    const proxy = await startProxy(stuck.port, { pipes });
    closers.push(() => proxy.close());
    const sender = tcpConnect({ host: "127.0.0.1", port: proxy.port, noDelay: true });
    await once(sender, "connect");
    const payload = randomBytes(6 * 1024 * 1024);
    for (let at = 0; at < payload.length; at += 1000) {
      if (!sender.write(payload.subarray(at, at + 1000))) await once(sender, "drain");
      await new Promise((r) => setImmediate(r));
    }
    sender.end();
    const receiver = stuck.sockets[0] as Socket;
    const chunks: Buffer[] = [];
    receiver.on("data", (c: Buffer) => chunks.push(c));
    const ended = once(receiver, "end");
    receiver.resume();
    await ended;
    const digest = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(digest(Buffer.concat(chunks))).toBe(digest(payload));
  }, 60_000);

  it("a burst arriving while earlier writes are still queued is carried intact", async () => {
    // The receiver behind the splice (on a Unix socket, whose small buffer fills at once) reads a
    // chunk every 2 ms; small writes first leave some 100 KiB queued at the splice, then a burst makes
    // the direction bulk: no read may land in a buffer a queued write still refers to.
    const sink = startSlowUnixSink(true);
    closers.push(sink.close);
    const { path, received, ended } = sink;
    let out: Socket | undefined;
    const proxy = createServer({ allowHalfOpen: true }, (inbound) => {
      const outbound = tcpConnect({ path, allowHalfOpen: true });
      out = outbound;
      outbound.once("connect", () => splice(inbound, outbound, { pipes }));
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    closers.push(() => new Promise((r) => proxy.close(() => r(undefined))));
    const total = 8 * 1024 * 1024;
    const data = randomBytes(total);
    const sender = tcpConnect({
      host: "127.0.0.1",
      port: (proxy.address() as { port: number }).port,
      allowHalfOpen: true,
      noDelay: true,
    });
    await once(sender, "connect");
    let at = 0;
    // (A stream pipe never queues that much: it stops reading at 16 KiB; 2 MiB of small writes bound it.)
    while ((!out || out.writableLength < 100_000) && at < 2 * 1024 * 1024) {
      sender.write(data.subarray(at, at + 16384));
      at += 16384;
      await new Promise((r) => setTimeout(r, 1));
    }
    sender.write(data.subarray(at, at + 4 * 1024 * 1024));
    at += 4 * 1024 * 1024;
    await new Promise((r) => setTimeout(r, 50));
    sink.accepted()?.resume();
    sender.end(data.subarray(at));
    await ended;
    sender.destroy();
    const digest = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(digest(Buffer.concat(received))).toBe(digest(data));
  }, 60_000);

  it("a side that ended before the splice began still passes its end on", async () => {
    // As at the relay: a parked half whose agent sent its FIN (and nothing else) before the other half came.
    const accepted: Socket[] = [];
    const server = createServer({ allowHalfOpen: true }, (s) => {
      accepted.push(s);
      s.pause();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    closers.push(
      () =>
        new Promise((r) => {
          for (const s of accepted) s.destroy();
          server.close(() => r(undefined));
        }),
    );
    const port = (server.address() as { port: number }).port;
    const peerA = tcpConnect({ host: "127.0.0.1", port, allowHalfOpen: true });
    await once(peerA, "connect");
    while (accepted.length < 1) await new Promise((r) => setTimeout(r, 5));
    const peerB = tcpConnect({ host: "127.0.0.1", port, allowHalfOpen: true });
    await once(peerB, "connect");
    while (accepted.length < 2) await new Promise((r) => setTimeout(r, 5));
    const [a, b] = accepted as [Socket, Socket];
    const aEnded = once(a, "end");
    a.resume();
    peerA.end();
    await aEnded;
    a.pause();
    const bSeesEnd = once(peerB, "end");
    peerB.resume();
    splice(a, b, { pipes });
    await bSeesEnd;
    peerA.destroy();
    peerB.destroy();
  });

  it("a reset on one side closes the other and reports the error", async () => {
    const stuck = await startStuck();
    const proxy = await startProxy(stuck.port, { pipes });
    closers.push(() => proxy.close());
    const sender = tcpConnect({ host: "127.0.0.1", port: proxy.port });
    sender.on("error", () => {});
    await once(sender, "connect");
    sender.write("before the reset");
    while (stuck.sockets.length === 0) await new Promise((r) => setTimeout(r, 10));
    const closed = once(sender, "close");
    stuck.sockets[0]?.resetAndDestroy();
    await closed;
    await proxy.allDone();
    expect(proxy.errors().length).toBe(1);
    expect(proxy.errors()[0]).toMatch(/ECONNRESET|EPIPE/);
  });
});
