/**
 * Splicing two sockets both ways: the relay joining a spliced channel's two data connections, an agent
 * joining a channel's local socket and its data connection (docs/protocol.md "Data connections").
 *
 * Each direction ends on its own (TCP's half-close), back-pressure reaches the sender (a direction
 * stops reading while `to` holds what it wrote), and an error on either side closes both.
 *
 * Why not `a.pipe(b)`: a stream pipe reads into a fresh buffer of at most 64 KiB per read and moves
 * each chunk through the Readable and Writable machinery, which on a bulk transfer costs more CPU than
 * the bytes (`pnpm --filter @tsunagi/net bench`). Here reads go into buffers we hand Node (its `onread`
 * user buffer), in one of two ways per direction:
 *   - quiet (every direction starts so): reads land in one buffer the whole process shares
 *     (`SHARED_BUFFER`, 64 KiB) and are copied out at once, so an idle or interactive channel holds
 *     no buffer at all, as with pipes;
 *   - bulk (once a read filled the shared buffer): the direction reads into a buffer of its own, from
 *     128 KiB up to `maxBuffer` (doubled by each read that fills it), and writes straight out of it
 *     without a copy; it reads again only once every write it made is done. A read that uses under a
 *     quarter of it halves it, and below 128 KiB, or after a second without a read, the direction is
 *     quiet again, its buffer released.
 * A TLS socket's reads are records of at most 16 KiB handed over in a loop that does not stop when its
 * reader does, so a TLS direction never reads into a buffer a queued write still uses: quiet, it copies
 * each record out of the shared buffer; bulk (once a full record came, until a second passes without
 * one), each record gets the next unused part of the direction's own buffers (two, taken in turn).
 * Writes are corked (`cork`): a bulk direction's full records of one turn of the event loop go out
 * together (one system call, and one encryption pass when `to` is TLS), any other record at the end of
 * its read.
 *
 * Node offers `onread` only to sockets it creates for us; the relay's sockets are accepted ones and
 * come from its HTTP server's upgrade. `userBufferReads` switches an existing socket the way Node's
 * own constructor does (its `onread` fields and the handle's `useUserBuffer`); where a Node version
 * lacks those, the splice falls back to stream pipes, so the behaviour never depends on it.
 */
import type { Socket } from "node:net";

export interface SpliceOptions {
  /** Bytes as they cross, either direction (the relay's spliced-bytes metric). */
  readonly onBytes?: (bytes: number) => void;
  /** Runs once both sides have closed: with the first error's message if one failed. */
  readonly done?: (error: string | undefined) => void;
  /** The most a bulk direction reads at once, and so holds at once (default 256 KiB). */
  readonly maxBuffer?: number;
  /** Stream pipes, never user buffers (the fallback, chosen by tests that cover it). */
  readonly pipes?: boolean;
}

export const SPLICE_MAX_BUFFER = 256 * 1024;
/** The size of the buffer quiet directions share, and so the read that makes a direction bulk. */
export const SHARED_BUFFER = 64 * 1024;
/** A bulk direction's own buffer starts here; shrinking below it makes the direction quiet again. */
const BULK_MIN = 2 * SHARED_BUFFER;
/** TLS's largest record (plaintext bytes): a TLS socket's reads are never longer. */
const TLS_RECORD = 16 * 1024;
let shared: Buffer | undefined;
/**
 * Bulk directions, each with the time of its last read and the way to release its buffer: a sweep
 * every `IDLE_MS` releases those that have read nothing since, so a burst's buffer does not outlive
 * the burst (a read-driven rule would keep it on a direction that then falls silent).
 */
const bulkNow = new Set<{ lastRead: number; release: () => void }>();
const IDLE_MS = 1000;
let sweeper: NodeJS.Timeout | undefined;
function sweep(): void {
  const now = performance.now();
  for (const entry of [...bulkNow]) if (now - entry.lastRead >= IDLE_MS) entry.release();
  if (bulkNow.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** Directions reading into buffers of their own now, in this process: the rest hold no buffer. */
export function bulkDirections(): number {
  return bulkNow.size;
}

/** The internals `userBufferReads` needs, looked up once; undefined where this Node lacks them. */
interface UserBufferKeys {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}
let keys: UserBufferKeys | undefined;
function userBufferKeys(socket: Socket): UserBufferKeys | undefined {
  if (keys) return keys;
  const named = (description: string) =>
    Object.getOwnPropertySymbols(socket).find((s) => s.description === description);
  const buffer = named("kBuffer");
  const callback = named("kBufferCb");
  const generator = named("kBufferGen");
  // Kept only when found: a stream of another kind (not a net.Socket) must not turn them off for all.
  if (buffer && callback && generator) keys = { buffer, callback, generator };
  return keys;
}

interface Handle {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/**
 * Switches `socket` to reading into buffers `next` hands out: each read calls `onRead(bytes, buffer)`
 * (returning false stops reading until `socket.resume()`), then `next()` gives the buffer for the
 * following read. The socket must not be read any other way afterwards. False (nothing changed) where
 * this Node does not allow it; bytes already buffered in the stream must have been read out first.
 *
 * A TLS socket decrypts the records it has in one loop, handing each to the buffer and `onRead` without
 * looking whether reading was stopped: on a TLS socket `next()` must never hand out a buffer (or part
 * of one) that a queued write still uses, whatever `onRead` returned.
 */
export function userBufferReads(
  socket: Socket,
  next: () => Buffer,
  onRead: (bytes: number, buffer: Buffer) => boolean,
): boolean {
  const handle = (socket as unknown as { _handle?: Handle | null })._handle;
  const known = userBufferKeys(socket);
  if (!known || typeof handle?.useUserBuffer !== "function" || socket.readableLength > 0) return false;
  const first = next();
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[known.buffer] = first;
  fields[known.callback] = onRead;
  fields[known.generator] = next;
  handle.useUserBuffer(first);
  return true;
}

/** Joins `a` and `b` both ways until both have closed. Both must allow half-open. */
export function splice(a: Socket, b: Socket, options: SpliceOptions = {}): void {
  let open = 2;
  let error: string | undefined;
  const fail = (e: Error) => {
    error ??= e.message;
    a.destroy();
    b.destroy();
  };
  const direction = (from: Socket, to: Socket) => {
    from.on("error", fail);
    const release = options.pipes ? undefined : forward(from, to, options);
    if (!release) {
      from.pipe(to);
      if (options.onBytes) {
        const count = options.onBytes;
        from.on("data", (chunk: Buffer) => count(chunk.length));
      }
    }
    // `on`, not `once`, for events a socket emits once: an idle splice is mostly its listeners, and
    // `once` wraps each in two more objects.
    from.on("close", () => {
      release?.();
      from.unpipe(to);
      // What `to` still holds goes out first; then it is done (its other direction had nowhere to
      // go any more).
      if (!to.destroyed) {
        if (to.writableFinished) to.destroy();
        else {
          to.end();
          to.once("finish", () => to.destroy());
        }
      }
      open -= 1;
      if (open === 0) options.done?.(error);
    });
  };
  direction(a, b);
  direction(b, a);
}

/**
 * One direction on user buffers: returns what to run when `from` closes, or undefined when `from`
 * cannot read that way (the caller pipes instead).
 */
function forward(from: Socket, to: Socket, options: SpliceOptions): (() => void) | undefined {
  const max = Math.max(options.maxBuffer ?? SPLICE_MAX_BUFFER, BULK_MIN);
  const encrypted = (from as { encrypted?: boolean }).encrypted === true;
  // Bytes the stream already holds (read with the upgrade, given back with `unshift`) go first.
  const held: Buffer[] = [];
  for (let chunk = from.read() as Buffer | null; chunk !== null; chunk = from.read() as Buffer | null) {
    held.push(chunk);
  }
  shared ??= Buffer.allocUnsafe(SHARED_BUFFER);
  const quiet = shared;
  /** This direction's own buffer while it is bulk; undefined while it is quiet. */
  let own: Buffer | undefined;
  let waiting = false;
  // Writes complete in order: once the latest is done, every buffer written from is free again. An
  // earlier write's completion must not resume reading, or a read could land in a buffer still queued.
  let writes = 0;
  /** The latest write that is done: every buffer written from up to it is free again. */
  let written = 0;
  const write = (chunk: Buffer) => {
    const n = ++writes;
    to.write(chunk, () => {
      written = n;
      if (!waiting || n !== writes) return;
      waiting = false;
      if (!from.destroyed) from.resume();
    });
  };
  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    to.uncork();
  };
  /**
   * A bulk TLS direction reads each record straight into `own`, after the records before it (`filled`
   * bytes so far), and writes it from there: a record never lands where a queued write still reads,
   * because each read gets the part of `own` no write has used. A full `own` is set aside as `spare`
   * and used again once the last write from it (`spareLast`) is done, so a steady stream cycles two
   * buffers (a third is made only while both still wait on `to`). A fresh buffer per record, as a
   * stream makes, was most of the garbage a sealed channel's receiving agent made, and collecting it
   * most of that agent's CPU beside the decryption.
   */
  let filled = 0;
  let ownLast = 0;
  let spare: Buffer | undefined;
  let spareLast = 0;
  const nextRecord = (): Buffer => {
    if (!own) return quiet;
    if (written === writes) filled = 0;
    if (own.length - filled < TLS_RECORD) {
      const reuse = spare !== undefined && written >= spareLast ? spare : undefined;
      spare = own;
      spareLast = ownLast;
      own = reuse ?? Buffer.allocUnsafe(own.length);
      filled = 0;
    }
    return own.subarray(filled);
  };
  const next = encrypted ? nextRecord : () => own ?? quiet;
  /** This direction in `bulkNow` while it is bulk. */
  const entry = { lastRead: 0, release: () => setOwn(undefined) };
  /** Sets this direction's own buffer (bulk) or drops it (quiet). */
  const setOwn = (buffer: Buffer | undefined) => {
    own = buffer;
    filled = 0;
    if (buffer === undefined) {
      spare = undefined;
      bulkNow.delete(entry);
      return;
    }
    // A direction just made bulk has its first read ahead of it: the sweep must not take it back first.
    entry.lastRead = performance.now();
    if (!bulkNow.has(entry)) {
      bulkNow.add(entry);
      sweeper ??= setInterval(sweep, IDLE_MS).unref();
    }
  };
  const onRecord = (bytes: number, into: Buffer): boolean => {
    if (to.destroyed) return false;
    const full = bytes >= TLS_RECORD;
    if (!corked) {
      corked = true;
      to.cork();
      // Full records of a bulk direction, from every read this turn of the event loop, go out in one
      // write (one wake-up of the receiver)...
      if (own && full) setImmediate(uncork);
      else process.nextTick(uncork);
    } else if (!full) {
      // ...but a short record ends a write of the sender's (a keystroke, a reply): it goes out at the end
      // of this read, not after every other callback of the turn.
      process.nextTick(uncork);
    }
    if (into === quiet) {
      // Other directions read into the same buffer next: what this one keeps is a copy.
      write(Buffer.from(into.subarray(0, bytes)));
      // A full record: the far end sends in bulk, so the next ones go into a buffer of this direction.
      if (!own && full) setOwn(Buffer.allocUnsafe(max));
    } else {
      // `into` is the part of `own` (or of a buffer released since) that no queued write uses.
      write(into.subarray(0, bytes));
      if (own && into.buffer === own.buffer && into.byteOffset === own.byteOffset + filled) {
        filled += bytes;
        ownLast = writes;
        // Only full records keep the buffers: a channel that now carries keystrokes after a burst gives
        // them up at the sweep after a second of short records, as a silent one does.
        if (full) entry.lastRead = performance.now();
      }
    }
    options.onBytes?.(bytes);
    if (to.writableLength >= max) {
      waiting = true;
      return false;
    }
    return true;
  };
  const onRead = (bytes: number, into: Buffer): boolean => {
    if (to.destroyed) return false;
    if (into === quiet) {
      if (bytes === quiet.length) setOwn(Buffer.allocUnsafe(BULK_MIN));
      // Other directions read into the same buffer next: what this one keeps is a copy.
      write(Buffer.from(into.subarray(0, bytes)));
      options.onBytes?.(bytes);
      if (to.writableLength >= max) {
        waiting = true;
        return false;
      }
      return true;
    }
    entry.lastRead = performance.now();
    if (bytes === into.length) {
      if (into.length < max) setOwn(Buffer.allocUnsafe(Math.min(into.length * 2, max)));
    } else if (bytes < into.length / 4) {
      // Reads that use little of it halve it; below BULK_MIN the direction is quiet again.
      const half = into.length >>> 1;
      setOwn(half < BULK_MIN ? undefined : Buffer.allocUnsafe(half));
    }
    write(into.subarray(0, bytes));
    // Counted once written, so that a count sees what `to` now holds.
    options.onBytes?.(bytes);
    // The write still refers to `into`: read nothing more into it until it is done.
    if (to.writableLength > 0) {
      waiting = true;
      return false;
    }
    return true;
  };
  if (!userBufferReads(from, next, encrypted ? onRecord : onRead)) {
    for (const chunk of held.reverse()) from.unshift(chunk);
    return undefined;
  }
  for (const chunk of held) {
    to.write(chunk);
    options.onBytes?.(chunk.length);
  }
  // A stream that ended before the splice (an agent's FIN while its half waited) emits no more 'end'.
  if (from.readableEnded) process.nextTick(() => to.end());
  else from.on("end", () => to.end());
  from.resume();
  return entry.release;
}
