// splice() from a TLS socket, driven the way Node's TLS hands records over: many records in one
// synchronous loop that ignores the reader's "stop" (TLSWrap::ClearOut), each into the buffer the
// previous read's generator returned. Real TLS rarely queues enough to reach the spare buffer's guard;
// here the records come while every earlier write still waits, so a read into a buffer a queued write
// uses shows as corrupted bytes. Also: a short record (a keystroke) is not held until the end of the
// event loop's turn, as a bulk direction's full records are.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type Socket, connect as tcpConnect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { bulkDirections, splice } from "../src/splice.js";
import { tlsPair } from "./helpers.js";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const TLS_RECORD = 16 * 1024;

/** The user-buffer fields splice() set on `socket` (see userBufferReads). */
function userBufferOf(socket: Socket) {
  const fields = socket as unknown as Record<symbol, unknown>;
  const named = (description: string) => {
    const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === description);
    if (!key) throw new Error(`no ${description} on this Node`);
    return key;
  };
  const buffer = named("kBuffer");
  const callback = fields[named("kBufferCb")] as (bytes: number, into: Buffer) => boolean;
  const generator = fields[named("kBufferGen")] as () => Buffer;
  return { fields, buffer, callback, generator };
}

/** Hands `records` to `from`'s reader as ClearOut does: into the current buffer, the reader, the next buffer. */
function clearOut(from: Socket, records: Buffer[]): void {
  const { fields, buffer, callback, generator } = userBufferOf(from);
  for (const record of records) {
    const into = fields[buffer] as Buffer;
    expect(into.length).toBeGreaterThanOrEqual(record.length);
    record.copy(into);
    callback(record.length, into); // its false is ignored, as ClearOut ignores it
    fields[buffer] = generator();
  }
}

/** A TLS socket spliced to a receiver that reads nothing for 200 ms; what it then receives. */
async function splicedToSlowReceiver() {
  const { client, server, close } = await tlsPair();
  closers.push(close);
  client.pause();
  const received: Buffer[] = [];
  const sink = createServer({ allowHalfOpen: true }, (s) => {
    s.pause();
    setTimeout(() => s.resume(), 200);
    s.on("data", (c: Buffer) => received.push(c));
    s.on("end", () => s.end());
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise((r) => sink.close(() => r(undefined))));
  const port = (sink.address() as { port: number }).port;
  const plain = tcpConnect({ host: "127.0.0.1", port, allowHalfOpen: true });
  closers.push(() => plain.destroy());
  await once(plain, "connect");
  server.allowHalfOpen = true;
  // The smallest buffers, so that the records of a turn fill both and more.
  splice(server, plain, { maxBuffer: 128 * 1024 });
  const receivedBytes = () => received.reduce((n, b) => n + b.length, 0);
  return { server, plain, received, receivedBytes };
}

describe("splice from a TLS socket, records handed over in a loop", () => {
  it.each([
    ["one turn of 48 full records", [48], TLS_RECORD],
    ["three turns of 20", [20, 20, 20], TLS_RECORD],
    ["odd-sized records", [30, 30], TLS_RECORD - 7],
  ])("while earlier writes wait, arrive intact (%s)", async (_label, turns, size) => {
    const { server, received, receivedBytes } = await splicedToSlowReceiver();
    const all: Buffer[] = [];
    let seq = 0;
    for (const count of turns) {
      const records = Array.from({ length: count }, () => Buffer.alloc(size, seq++ & 0xff));
      all.push(...records);
      clearOut(server, records);
      await new Promise((r) => setImmediate(r));
    }
    const total = all.reduce((n, b) => n + b.length, 0);
    while (receivedBytes() < total) await new Promise((r) => setTimeout(r, 20));
    expect(sha(Buffer.concat(received))).toBe(sha(Buffer.concat(all)));
  });

  it("holds a bulk direction's full records until the turn ends, a short record only until its read ends", async () => {
    const { server, plain } = await splicedToSlowReceiver();
    // The first full record makes the direction bulk.
    clearOut(server, [Buffer.alloc(TLS_RECORD, 0)]);
    await new Promise((r) => setImmediate(r));
    clearOut(server, [Buffer.alloc(TLS_RECORD, 1), Buffer.alloc(TLS_RECORD, 2)]);
    await new Promise((r) => process.nextTick(r));
    expect(plain.writableCorked).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(plain.writableCorked).toBe(0);
    // A full record and then a keystroke in the same read: both go out at the read's end.
    clearOut(server, [Buffer.alloc(TLS_RECORD, 3), Buffer.from("k")]);
    await new Promise((r) => process.nextTick(r));
    expect(plain.writableCorked).toBe(0);
    await new Promise((r) => setImmediate(r));
    // A keystroke alone on the direction, still bulk: out at its read's end.
    clearOut(server, [Buffer.from("k")]);
    await new Promise((r) => process.nextTick(r));
    expect(plain.writableCorked).toBe(0);
  });

  it("gives its buffers up once only short records come (keystrokes after a burst)", async () => {
    const base = bulkDirections();
    const { server } = await splicedToSlowReceiver();
    clearOut(server, [Buffer.alloc(TLS_RECORD, 0), Buffer.alloc(TLS_RECORD, 1)]);
    expect(bulkDirections()).toBe(base + 1);
    // A keystroke every 100 ms: reads keep coming, but no full record; the sweep (every second) takes
    // the buffers back.
    const since = performance.now();
    while (bulkDirections() !== base && performance.now() - since < 5_000) {
      clearOut(server, [Buffer.from("k")]);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(bulkDirections()).toBe(base);
  });
});
