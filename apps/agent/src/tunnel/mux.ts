/**
 * Channels over one relay WebSocket: each joins a local TCP socket (accepted by the viewer, or dialled
 * by the client) to its counterpart on the other agent. The same code runs at both ends.
 *
 * Backpressure is end to end and per channel: a sender may have CHANNEL_WINDOW bytes in flight; the
 * receiver grants them back only once its local socket has taken them (the write callback), so a slow
 * reader stalls its own channel and no other, and nothing in between buffers more than a window.
 * Order: one WebSocket, relayed in order, so frames of a channel never overtake one another; a close
 * is sent only after the socket's last data, and ends the far socket only after its queued writes.
 *
 * The frame format is core's (packages/core/src/frames.ts), the relay's too.
 *
 * The far side is not trusted (docs/protocol.md "Limits"): a sender never sends beyond its credit, and
 * a receiver that is sent more than it granted closes the relay connection (1008) rather than queue
 * it; an `open` for an id already open closes it too; an `open` beyond the channel cap is answered
 * with `close`.
 */
import type { Socket } from "node:net";
import {
  allocFrame,
  CHANNEL_ID_BYTES,
  CHANNEL_WINDOW,
  DEFAULT_MAX_CHANNELS,
  decodeFrame,
  decodeWindowUpdate,
  endOfDataFrame,
  freeChannelId,
  MAX_FRAME_PAYLOAD,
  WINDOW_CHANNEL,
  windowFrame,
  windowOverrun,
} from "@tsunagi/core/frames";
import { CloseCode } from "@tsunagi/core/wire";
import { type SealRole, seal, splice } from "@tsunagi/net";
import type { WebSocket } from "ws";
import { plainToTlsRelay, tokenBytes } from "./data.js";

const uncork = (socket: Socket) => socket.uncork();

interface Channel {
  readonly id: number;
  readonly socket: Socket;
  /** Bytes we may still send before the peer grants more. */
  credit: number;
  /** Bytes the peer sent on this channel that we have not granted back (never above the window). */
  unacknowledged: number;
  /** Bytes our socket has taken and we have not yet granted back. */
  consumed: number;
  waitingForCredit: boolean;
  /** Set when the close came from the far side, so we don't send one back. */
  closedByPeer: boolean;
  error?: string;
  /** Read from the socket and not yet framed: this turn's reads, and what waits for credit. */
  readonly pending: Buffer[];
  pendingBytes: number;
  flushScheduled: boolean;
  /** The socket's reading side ended: the empty frame goes once the pending bytes have. */
  readEnded: boolean;
  finSent: boolean;
  /** The socket closed: the close goes once the pending bytes have. */
  socketClosed: boolean;
}

/** A viewer's channel waiting for the relay's answer to its `open` with `data: true`. */
interface Awaiting {
  readonly socket: Socket;
  readonly data: Socket;
  /** The data connection was not used (multiplexed, or refused): it goes back to the pool. */
  readonly giveBack: (data: Socket) => void;
}

/** A channel carried on a data connection: its bytes never pass here, only its `close`. */
interface Spliced {
  readonly socket: Socket;
  data?: Socket;
}

export interface MuxEvents {
  /**
   * Client side: the relay opened a channel; dial the local service and attach it, or with a `token`
   * join it to a data connection (`splice`).
   */
  onOpen?: (channelId: number, token?: string, key?: string) => void;
  /** A channel ended; `reason` is the far side's when it gave one. */
  onChannelClosed?: (channelId: number, reason: string | undefined) => void;
  /** A spliced channel's end-to-end TLS is up (docs/protocol.md "Sealed channels"). */
  onSealed?: (channelId: number) => void;
  /** The far side broke the tunnel's rules; the relay connection is being closed. */
  onViolation?: (message: string) => void;
}

export interface MuxLimits {
  /** Per-channel window, each direction (the protocol's CHANNEL_WINDOW). */
  readonly window?: number;
  /** Channels open (or still writing what the far side sent) at once. */
  readonly maxChannels?: number;
}

export class Mux {
  readonly channels = new Map<number, Channel>();
  /** Viewer side: channels waiting for the relay's answer to their `open` (data connections). */
  private readonly awaiting = new Map<number, Awaiting>();
  /** Channels on data connections (docs/protocol.md "Data connections"), until the relay's `close`. */
  readonly spliced = new Map<number, Spliced>();
  /** Sockets of channels the far side closed, still writing what it sent: they count towards the cap. */
  private readonly draining = new Set<Socket>();
  private readonly window: number;
  readonly maxChannels: number;
  private nextId = 1;
  private violated = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly events: MuxEvents = {},
    limits: MuxLimits = {},
  ) {
    this.window = limits.window ?? CHANNEL_WINDOW;
    this.maxChannels = limits.maxChannels ?? DEFAULT_MAX_CHANNELS;
  }

  /** Channels open, counting those still writing out what the far side sent before it closed. */
  get openChannels(): number {
    return this.channels.size + this.draining.size + this.awaiting.size + this.spliced.size;
  }

  /** Ids in use on this connection: open, waiting for an answer, or spliced. */
  private readonly taken = {
    has: (id: number) => this.channels.has(id) || this.awaiting.has(id) || this.spliced.has(id),
  };

  /** Channels the far side closed whose sockets still write out what it sent. */
  get drainingChannels(): number {
    return this.draining.size;
  }

  /** Bytes written to local sockets and not yet taken by them: what the far side makes us hold. */
  queuedBytes(): number {
    let bytes = 0;
    for (const channel of this.channels.values()) bytes += channel.socket.writableLength;
    for (const socket of this.draining) bytes += socket.writableLength;
    return bytes;
  }

  /**
   * Viewer side: opens a channel for a local connection, with an id not open on this connection.
   * Returns the id, or undefined when the cap is reached (the caller refuses the connection).
   */
  open(socket: Socket, data?: { socket: Socket; giveBack: (data: Socket) => void }): number | undefined {
    if (this.openChannels >= this.maxChannels) return undefined;
    const id = freeChannelId(this.taken, this.nextId);
    this.nextId = id + 1;
    if (data) {
      // The socket stays paused until the relay answers: spliced (a token) or multiplexed (none).
      this.awaiting.set(id, { socket, data: data.socket, giveBack: data.giveBack });
      socket.on("error", () => {});
      this.sendControl({ type: "open", channelId: id, data: true });
      return id;
    }
    this.sendControl({ type: "open", channelId: id });
    this.attach(id, socket);
    socket.resume();
    return id;
  }

  /**
   * Carries channel `id` on a data connection: the token is its first bytes, then it is joined to the
   * local socket; with a key the two agents first seal it (TLS 1.3 keyed by it, this agent in `role`:
   * docs/protocol.md "Sealed channels"). `data` may still be on its way (the client dialling one);
   * without one, or when the seal fails, the channel is closed with the reason.
   */
  splice(
    id: number,
    socket: Socket,
    data: Socket | Promise<Socket>,
    path: { readonly token: string; readonly key?: string | undefined; readonly role: SealRole },
  ): void {
    const entry: Spliced = { socket };
    this.spliced.set(id, entry);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    const fail = (reason: string) => {
      socket.destroy();
      entry.data?.destroy();
      if (this.spliced.get(id) === entry) this.sendControl({ type: "close", channelId: id, reason });
    };
    /** The channel ended, here or by the relay, while `conn` was on its way: it goes unused. */
    const gone = (conn: Socket) => {
      if (this.spliced.get(id) === entry && !socket.destroyed) return false;
      conn.destroy();
      return true;
    };
    const join = (conn: Socket) => {
      if (gone(conn)) return;
      entry.data = conn;
      splice(socket, conn, {
        done: (error) => {
          // The relay's `close` ends the channel's id; a failure here names itself to the far side.
          if (error && this.spliced.get(id) === entry) {
            this.sendControl({ type: "close", channelId: id, reason: error });
          }
        },
      });
    };
    const start = (conn: Socket) => {
      if (gone(conn)) return;
      if (conn.destroyed || conn.readableEnded) {
        // The relay (or something in between) let the parked connection go meanwhile: say so at
        // once rather than leave the far half waiting for the token's time to run out.
        fail("the data connection closed before use");
        return;
      }
      entry.data = conn;
      if (!path.key && plainToTlsRelay.has(conn)) {
        // Unsealed, the channel's bytes would cross the network in clear.
        fail("the relay sent no key for a channel on a plain data connection");
        return;
      }
      conn.setNoDelay(true);
      conn.write(tokenBytes(path.token));
      if (!path.key) return join(conn);
      seal(conn, tokenBytes(path.key), path.role).then(
        (sealed) => {
          this.events.onSealed?.(id);
          join(sealed);
        },
        (error: Error) => fail(`the channel's end-to-end TLS failed: ${error.message}`),
      );
    };
    if (data instanceof Promise) {
      data.then(start, (error: Error) => fail(`no data connection: ${error.message}`));
    } else start(data);
  }

  /** Joins `socket` to channel `id`; data flows both ways until either side closes. */
  attach(id: number, socket: Socket): void {
    const channel: Channel = {
      id,
      socket,
      credit: this.window,
      unacknowledged: 0,
      consumed: 0,
      waitingForCredit: false,
      closedByPeer: false,
      pending: [],
      pendingBytes: 0,
      flushScheduled: false,
      readEnded: false,
      finSent: false,
      socketClosed: false,
    };
    this.channels.set(id, channel);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      // Reads of one event-loop turn (libuv reads at most 64 KiB at a time, several in a row) leave
      // in one frame, at the end of the turn's I/O phase: fewer, larger frames for the relay and the
      // far agent to handle. The bytes are copied into the frame once either way.
      if (!channel.flushScheduled) {
        channel.flushScheduled = true;
        setImmediate(this.flushChannel, channel);
      }
      channel.pending.push(chunk);
      channel.pendingBytes += chunk.length;
      // What the credit can't cover waits here (at most one read) until the peer grants more.
      if (channel.pendingBytes >= channel.credit && !channel.waitingForCredit) {
        channel.waitingForCredit = true;
        socket.pause();
      }
    });
    // Our side is done sending: an empty frame tells the far socket to end its writing side too.
    socket.on("end", () => {
      if (this.channels.get(id) !== channel) return;
      channel.readEnded = true;
      this.flush(channel);
    });
    socket.on("error", (error) => {
      channel.error = error.message;
    });
    socket.on("close", () => {
      this.draining.delete(socket);
      if (this.channels.get(id) !== channel) return;
      channel.socketClosed = true;
      this.flush(channel);
    });
  }

  /**
   * Sends what the channel's socket read and the credit covers, in frames of at most MAX_FRAME_PAYLOAD;
   * then, once nothing is pending, the end of data and the close the socket asked for.
   */
  private flush(channel: Channel): void {
    let remaining = Math.min(channel.pendingBytes, channel.credit);
    const chunks = channel.pending;
    let index = 0;
    let offset = 0;
    channel.credit -= remaining;
    channel.pendingBytes -= remaining;
    while (remaining > 0) {
      const size = Math.min(remaining, MAX_FRAME_PAYLOAD);
      const frame = allocFrame(channel.id, size);
      let at = CHANNEL_ID_BYTES;
      while (at < frame.length) {
        const chunk = chunks[index] as Buffer;
        const copied = chunk.copy(frame, at, offset, Math.min(chunk.length, offset + frame.length - at));
        at += copied;
        offset += copied;
        if (offset === chunk.length) {
          index++;
          offset = 0;
        }
      }
      remaining -= size;
      this.send(frame);
    }
    if (index > 0 || offset > 0) {
      chunks.splice(0, index);
      if (offset > 0 && chunks[0]) chunks[0] = chunks[0].subarray(offset);
    }
    if (channel.pendingBytes > 0) return;
    if (channel.readEnded && !channel.finSent) {
      channel.finSent = true;
      this.send(endOfDataFrame(channel.id));
    }
    if (channel.socketClosed) {
      this.channels.delete(channel.id);
      if (!channel.closedByPeer)
        this.sendControl({
          type: "close",
          channelId: channel.id,
          ...(channel.error ? { reason: channel.error } : {}),
        });
      this.events.onChannelClosed?.(channel.id, channel.error);
    }
  }

  private readonly flushChannel = (channel: Channel): void => {
    channel.flushScheduled = false;
    // A channel that closed meanwhile flushed on its way out.
    if (this.channels.get(channel.id) === channel) this.flush(channel);
  };

  /** A binary frame from the relay. */
  onBinary(buf: Buffer): void {
    if (this.violated) return;
    const frame = decodeFrame(buf);
    if (!frame) return;
    const id = frame.channelId;
    if (id === WINDOW_CHANNEL) {
      const update = decodeWindowUpdate(frame.payload);
      if (!update) return;
      const channel = this.channels.get(update.channelId);
      if (!channel) return;
      channel.credit += update.bytes;
      if (channel.pendingBytes > 0) this.flush(channel);
      if (channel.waitingForCredit && channel.credit > channel.pendingBytes) {
        channel.waitingForCredit = false;
        channel.socket.resume();
      }
      return;
    }
    const channel = this.channels.get(id);
    if (!channel) return;
    const payload = frame.payload;
    const length = payload.length;
    // An empty payload is the far side's end of data.
    if (length === 0) {
      channel.socket.end();
      return;
    }
    // The window we granted is enforced here: what a peer sends beyond it would only queue in memory.
    channel.unacknowledged += length;
    const overrun = windowOverrun(id, channel.unacknowledged, this.window);
    if (overrun) {
      this.violation(overrun);
      return;
    }
    const socket = channel.socket;
    // Frames that arrived in one read go to the local socket in one write (writev) instead of one each.
    if (socket.writableCorked === 0) {
      socket.cork();
      process.nextTick(uncork, socket);
    }
    socket.write(payload, (error) => {
      if (error || this.channels.get(id) !== channel) return;
      channel.consumed += length;
      // Grant in batches: a window update per quarter window keeps the control traffic small.
      if (channel.consumed >= this.window / 4) {
        this.send(windowFrame(id, channel.consumed));
        channel.unacknowledged -= channel.consumed;
        channel.consumed = 0;
      }
    });
  }

  /** An open or close from the relay. */
  onControl(message: {
    type: "open" | "close";
    channelId: number;
    reason?: string | undefined;
    token?: string | undefined;
    key?: string | undefined;
  }): void {
    if (this.violated) return;
    const id = message.channelId;
    const awaiting = this.awaiting.get(id);
    if (awaiting) {
      // The relay's answer to our `open` asking for a data connection (or its refusal).
      this.awaiting.delete(id);
      if (message.type === "close") {
        awaiting.giveBack(awaiting.data);
        // Refused: the local socket ends as a multiplexed channel's would, what it sent read and
        // dropped (a socket destroyed with unread bytes would be reset).
        const socket = awaiting.socket;
        socket.on("data", () => {});
        socket.end();
        socket.resume();
        socket.once("finish", () => socket.destroy());
        this.events.onChannelClosed?.(id, message.reason);
      } else if (message.token) {
        this.splice(id, awaiting.socket, awaiting.data, {
          token: message.token,
          key: message.key,
          role: "viewer",
        });
      } else {
        awaiting.giveBack(awaiting.data);
        if (awaiting.socket.destroyed) {
          // The local connection went while we waited: the channel ends before it began.
          this.sendControl({ type: "close", channelId: id });
          return;
        }
        this.attach(id, awaiting.socket);
        awaiting.socket.resume();
      }
      return;
    }
    const spliced = this.spliced.get(id);
    if (spliced) {
      if (message.type === "open") {
        this.violation(`channel ${id} is reserved or already open`);
        return;
      }
      // The relay ended the channel: after a normal end (no reason) its data connection has closed or
      // is closing and the local socket writes out what it holds; a failure (a reason) cuts both now.
      this.spliced.delete(id);
      if (!spliced.data || message.reason) {
        spliced.socket.destroy();
        spliced.data?.destroy();
      }
      this.events.onChannelClosed?.(id, message.reason);
      return;
    }
    if (message.type === "open") {
      if (this.channels.has(id) || id === WINDOW_CHANNEL) {
        this.violation(`channel ${id} is reserved or already open`);
        return;
      }
      if (this.openChannels >= this.maxChannels) {
        this.sendControl({
          type: "close",
          channelId: id,
          reason: `at most ${this.maxChannels} channels may be open at once`,
        });
        return;
      }
      this.events.onOpen?.(id, message.token, message.key);
      return;
    }
    const channel = this.channels.get(id);
    if (!channel) return;
    channel.closedByPeer = true;
    this.channels.delete(id);
    this.events.onChannelClosed?.(id, message.reason);
    // Queued writes go out first (also those queued before an earlier half-close); then the socket is done.
    const socket = channel.socket;
    if (!socket.writableEnded) socket.end();
    if (socket.writableFinished || socket.destroyed) socket.destroy();
    else {
      this.draining.add(socket);
      socket.once("finish", () => socket.destroy());
    }
  }

  /** The relay connection is gone: every channel ends now. */
  closeAll(): void {
    for (const channel of this.channels.values()) {
      channel.closedByPeer = true;
      channel.socket.destroy();
    }
    this.channels.clear();
    for (const entry of this.awaiting.values()) {
      entry.socket.destroy();
      entry.data.destroy();
    }
    this.awaiting.clear();
    for (const entry of this.spliced.values()) {
      entry.socket.destroy();
      entry.data?.destroy();
    }
    this.spliced.clear();
    for (const socket of this.draining) socket.destroy();
    this.draining.clear();
  }

  sendControl(message: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** The far side broke the rules: nothing more it sends is taken; the connection closes with 1008. */
  private violation(message: string): void {
    this.violated = true;
    this.events.onViolation?.(message);
    // A close reason is at most 123 bytes.
    this.ws.close(CloseCode.malformed, message.slice(0, 123));
  }

  private send(frame: Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame, { binary: true });
  }
}
