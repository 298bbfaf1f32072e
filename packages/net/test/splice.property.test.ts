// splice() under arbitrary traffic: each side writes its own sequence of chunks (tiny to a few hundred
// KiB, so directions go bulk and quiet again), the receivers stop reading at arbitrary moments, and
// the sides end in either order; every byte arrives once, in order, and both ends see the other's end.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProxy } from "./helpers.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

interface Side {
  readonly chunks: number[];
  /** After which received chunk counts the side stops reading for a few milliseconds. */
  readonly stops: number[];
  readonly seed: number;
}

/** Deterministic bytes for a side's chunks. */
function bytesOf(side: Side): Buffer[] {
  let x = side.seed >>> 0 || 1;
  return side.chunks.map((size) => {
    const b = Buffer.allocUnsafe(size);
    for (let i = 0; i < size; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = x & 0xff;
    }
    return b;
  });
}

/** Writes `chunks` with pauses between some, then ends; reads everything with stops; resolves what it read. */
async function drive(socket: Socket, chunks: Buffer[], stops: number[]): Promise<Buffer> {
  const received: Buffer[] = [];
  let count = 0;
  const ended = new Promise<Buffer>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      count += 1;
      if (stops.includes(count)) {
        socket.pause();
        setTimeout(() => socket.resume(), 3);
      }
    });
    socket.once("end", () => resolve(Buffer.concat(received)));
    socket.once("error", reject);
  });
  for (const [i, chunk] of chunks.entries()) {
    if (!socket.write(chunk)) await once(socket, "drain");
    if (i % 3 === 2) await new Promise((r) => setImmediate(r));
  }
  socket.end();
  return ended;
}

let service: { port: number; close(): Promise<void> };
let serviceSide: (socket: Socket) => void = () => {};
beforeAll(async () => {
  const server = createServer({ allowHalfOpen: true }, (s) => serviceSide(s));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  service = {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
});
afterAll(() => service.close());

const side = fc.record({
  chunks: fc.array(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 300 * 1024 })), {
    maxLength: 12,
  }),
  stops: fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 4 }),
  seed: fc.integer(),
});

describe.each([
  ["user buffers", false],
  ["stream pipes", true],
])("splice on %s", (_label, pipes) => {
  it("carries any traffic both ways byte-exact, with stops and half-closes in any order", async () => {
    const proxy = await startProxy(service.port, { pipes });
    try {
      await fc.assert(
        fc.asyncProperty(side, side, async (viewer, client) => {
          const [toService, toViewer] = [bytesOf(viewer), bytesOf(client)];
          const atService = new Promise<Buffer>((resolve, reject) => {
            serviceSide = (s) => drive(s, toViewer, client.stops).then(resolve, reject);
          });
          const socket = tcpConnect({ host: "127.0.0.1", port: proxy.port, allowHalfOpen: true });
          await once(socket, "connect");
          const atViewer = drive(socket, toService, viewer.stops);
          const [gotByService, gotByViewer] = await Promise.all([atService, atViewer]);
          socket.destroy();
          expect(sha(gotByService)).toBe(sha(Buffer.concat(toService)));
          expect(sha(gotByViewer)).toBe(sha(Buffer.concat(toViewer)));
        }),
        { numRuns: 25 },
      );
      await proxy.allDone();
      expect(proxy.errors()).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
