// splice(): bytes cross byte-exact both ways on real loopback sockets (plain and TLS), on user buffers
// and on the stream-pipe fallback, half-close kept, bytes already buffered in the stream first.
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { bulkDirections, splice, userBufferReads } from "../src/splice.js";
import { readAll, type SpliceProxy, startProxy, startSink, startSlowUnixSink, tlsPair } from "./helpers.js";

const servers: { close: () => unknown }[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** An echo server: what it reads it writes back, and ends when its peer ends. */
async function startEcho(): Promise<Server & { port: number }> {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    s.on("error", () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  servers.push({ close: () => new Promise((r) => server.close(() => r(undefined))) });
  return Object.assign(server, { port: (server.address() as { port: number }).port });
}

async function through(proxy: SpliceProxy, payload: Buffer): Promise<Buffer> {
  const socket = tcpConnect({ host: "127.0.0.1", port: proxy.port, allowHalfOpen: true });
  await once(socket, "connect");
  const back = readAll(socket);
  socket.end(payload);
  return back;
}

describe.each([
  ["user buffers", false],
  ["stream pipes", true],
])("splice on %s", (_label, pipes) => {
  it("carries 16 MiB out and back byte-exact, the end of each direction in its turn", async () => {
    const echo = await startEcho();
    const proxy = await startProxy(echo.port, { pipes });
    servers.push(proxy);
    const payload = randomBytes(16 * 1024 * 1024);
    const back = await through(proxy, payload);
    expect(back.length).toBe(payload.length);
    expect(sha(back)).toBe(sha(payload));
    expect(proxy.bytes()).toBe(2 * payload.length);
    // A stream pipe reads at most 64 KiB at once; user buffers grow past it on a bulk transfer.
    if (pipes) expect(proxy.largestRead()).toBeLessThanOrEqual(64 * 1024);
    else expect(proxy.largestRead()).toBeGreaterThan(64 * 1024);
    await proxy.allDone();
    expect(proxy.errors()).toEqual([]);
  });

  it("carries 50 connections at once, each its own bytes", async () => {
    const echo = await startEcho();
    const proxy = await startProxy(echo.port, { pipes });
    servers.push(proxy);
    const payloads = Array.from({ length: 50 }, (_, i) => randomBytes(64 * 1024 + i));
    const backs = await Promise.all(payloads.map((p) => through(proxy, p)));
    expect(backs.map(sha)).toEqual(payloads.map(sha));
  });

  it("keeps a half-close: the side that ended still receives", async () => {
    // A server that answers only after its peer's end: a request, then the reply.
    const server = createServer({ allowHalfOpen: true }, (s) => {
      const got = readAll(s);
      got.then((request) => s.end(Buffer.concat([Buffer.from("reply to "), request])));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push({ close: () => new Promise((r) => server.close(() => r(undefined))) });
    const proxy = await startProxy((server.address() as { port: number }).port, { pipes });
    servers.push(proxy);
    const back = await through(proxy, Buffer.from("the request"));
    expect(back.toString()).toBe("reply to the request");
  });

  it("carries across TLS sockets byte-exact", async () => {
    const { client, server, close } = await tlsPair();
    servers.push({ close });
    const echo = await startEcho();
    // client ⇄ [TLS server side | splice | plain socket] ⇄ echo
    const plain = tcpConnect({ host: "127.0.0.1", port: echo.port, allowHalfOpen: true });
    await once(plain, "connect");
    server.allowHalfOpen = true;
    splice(server, plain, { pipes });
    const payload = randomBytes(4 * 1024 * 1024);
    const back = readAll(client);
    client.end(payload);
    expect(sha(await back)).toBe(sha(payload));
  });
});

describe("splice's buffers", () => {
  it("an interactive channel holds none of its own; a bulk one does, until it falls silent or its reads are small", async () => {
    const echo = await startEcho();
    const proxy = await startProxy(echo.port);
    servers.push(proxy);
    const base = bulkDirections();
    const socket = tcpConnect({ host: "127.0.0.1", port: proxy.port, noDelay: true });
    await once(socket, "connect");
    const roundTrips = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const back = once(socket, "data");
        socket.write("k");
        await back;
      }
    };
    await roundTrips(50);
    expect(bulkDirections()).toBe(base);

    let peak = base;
    let received = 0;
    const total = 16 * 1024 * 1024;
    const all = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        peak = Math.max(peak, bulkDirections());
        received += chunk.length;
        if (received >= total) {
          socket.off("data", onData);
          resolve();
        }
      };
      socket.on("data", onData);
    });
    socket.write(randomBytes(total));
    await all;
    expect(peak).toBeGreaterThan(base);

    // Silent for a while, the directions give their buffers up (a sweep every second)...
    const silentSince = performance.now();
    while (bulkDirections() !== base && performance.now() - silentSince < 10_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(bulkDirections()).toBe(base);
    // ...and small reads after a burst shrink a bulk buffer until the direction shares again.
    socket.write(randomBytes(total));
    await new Promise<void>((resolve) => {
      let back = 0;
      const onData = (chunk: Buffer) => {
        back += chunk.length;
        if (back >= total) {
          socket.off("data", onData);
          resolve();
        }
      };
      socket.on("data", onData);
    });
    await roundTrips(3);
    expect(bulkDirections()).toBe(base);
    socket.destroy();
  });
});

describe("splice from a TLS socket", () => {
  it("carries 16 MiB byte-exact to a receiver that keeps stopping (records arrive while it waits)", async () => {
    const { client, server, close } = await tlsPair();
    servers.push({ close });
    // The receiver stops for 20 ms after each 512 KiB, so the splice must hold back while records keep coming.
    const received: Buffer[] = [];
    const done = new Promise<Buffer>((resolve) => {
      const receiver = createServer({ allowHalfOpen: true }, (s) => {
        let since = 0;
        s.on("data", (chunk: Buffer) => {
          received.push(chunk);
          since += chunk.length;
          if (since >= 512 * 1024) {
            since = 0;
            s.pause();
            setTimeout(() => s.resume(), 20);
          }
        });
        s.on("end", () => {
          s.end();
          resolve(Buffer.concat(received));
        });
      });
      receiver.listen(0, "127.0.0.1", () => {
        const port = (receiver.address() as { port: number }).port;
        const plain = tcpConnect({ host: "127.0.0.1", port, allowHalfOpen: true });
        server.allowHalfOpen = true;
        splice(server, plain);
      });
      servers.push({ close: () => new Promise((r) => receiver.close(() => r(undefined))) });
    });
    const payload = randomBytes(16 * 1024 * 1024);
    client.end(payload);
    expect(sha(await done)).toBe(sha(payload));
  });
});

describe("splice from a TLS socket, bulk", () => {
  it("full records read into the direction's own buffers while earlier writes wait are carried intact; silent, it gives them up", async () => {
    // The receiver (on a Unix socket, whose small buffer fills at once) reads a chunk every 2 ms. Small
    // records first leave writes queued at the splice; then full records make the direction bulk, each
    // read into the part of its buffers no queued write uses, the two buffers taken in turn.
    const sink = startSlowUnixSink();
    servers.push(sink);
    const { path, received, ended } = sink;
    const { client, server, close } = await tlsPair();
    servers.push({ close });
    const base = bulkDirections();
    const plain = tcpConnect({ path, allowHalfOpen: true });
    await once(plain, "connect");
    server.allowHalfOpen = true;
    // The smallest buffers: the records one TCP read brings outnumber what stopping reading holds back,
    // so the spare is often still being written from when the buffer in use fills.
    splice(server, plain, { maxBuffer: 128 * 1024 });
    const data = randomBytes(12 * 1024 * 1024);
    let at = 0;
    while (plain.writableLength < 100_000 && at < 2 * 1024 * 1024) {
      client.write(data.subarray(at, at + 4096));
      at += 4096;
      await new Promise((r) => setTimeout(r, 1));
    }
    let peak = base;
    const watch = setInterval(() => {
      peak = Math.max(peak, bulkDirections());
    }, 5);
    client.end(data.subarray(at));
    await ended;
    clearInterval(watch);
    expect(sha(Buffer.concat(received))).toBe(sha(data));
    expect(peak).toBeGreaterThan(base);
    const silentSince = performance.now();
    while (bulkDirections() !== base && performance.now() - silentSince < 10_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(bulkDirections()).toBe(base);
  }, 60_000);
});

describe("userBufferReads", () => {
  it("switches an accepted socket on this Node (so the tests above cover the user-buffer path)", async () => {
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer((s) => resolve(s));
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as { port: number }).port;
        tcpConnect({ host: "127.0.0.1", port }).on("error", () => {});
      });
      servers.push({ close: () => new Promise((r) => server.close(() => r(undefined))) });
    });
    const socket = await accepted;
    expect(
      userBufferReads(
        socket,
        () => Buffer.alloc(1024),
        () => true,
      ),
    ).toBe(true);
    socket.destroy();
  });

  it("delivers bytes the stream already held (given back with unshift) before any later read", async () => {
    const sink = await startSink();
    servers.push(sink);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => {
      s.unshift(Buffer.from("held-"));
      const out = tcpConnect({ host: "127.0.0.1", port: sink.port, allowHalfOpen: true });
      splice(s, out);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push({ close: () => new Promise((r) => server.close(() => r(undefined))) });
    const socket = tcpConnect({
      host: "127.0.0.1",
      port: (server.address() as { port: number }).port,
      allowHalfOpen: true,
    });
    await once(socket, "connect");
    socket.end("then-the-rest");
    expect((await sink.next()).toString()).toBe("held-then-the-rest");
    socket.destroy();
  });
});
