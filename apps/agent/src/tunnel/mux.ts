/**
 * Channels over one relay WebSocket: each joins a local TCP socket (accepted by the viewer, or dialled
 * by the client) to its counterpart on the other agent. The same code runs at both ends.
 *
 * Backpressure is end to end and per channel: a sender may have CHANNEL_WINDOW bytes in flight; the
 * receiver grants them back only once its local socket has taken them (the write callback), so a slow
 * reader stalls its own channel and no other, and nothing in between buffers more than a window.
 * Order: one WebSocket, relayed in order, so frames of a channel never overtake one another; a close
 * is sent only after the socket's last data, and ends the far socket only after its queued writes.
 */
import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import {
  CHANNEL_WINDOW,
  dataFrame,
  MAX_FRAME_PAYLOAD,
  WINDOW_CHANNEL,
  WINDOW_FRAME_BYTES,
  windowFrame,
} from "./frames.js";

const uncork = (socket: Socket) => socket.uncork();

interface Channel {
  readonly id: number;
  readonly socket: Socket;
  /** Bytes we may still send before the peer grants more. */
  credit: number;
  /** Bytes our socket has taken and we have not yet granted back. */
  consumed: number;
  waitingForCredit: boolean;
  /** Set when the close came from the far side, so we don't send one back. */
  closedByPeer: boolean;
  error?: string;
  /** Read from the socket in this turn of the event loop, not yet framed. */
  readonly pending: Buffer[];
  pendingBytes: number;
}

export interface MuxEvents {
  /** Client side: the relay opened a channel; dial the local service and attach it. */
  onOpen?: (channelId: number) => void;
  /** A channel ended; `reason` is the far side's when it gave one. */
  onChannelClosed?: (channelId: number, reason: string | undefined) => void;
}

export class Mux {
  readonly channels = new Map<number, Channel>();

  constructor(
    private readonly ws: WebSocket,
    private readonly events: MuxEvents = {},
    private readonly window = CHANNEL_WINDOW,
  ) {}

  /** Joins `socket` to channel `id`; data flows both ways until either side closes. */
  attach(id: number, socket: Socket): void {
    const channel: Channel = {
      id,
      socket,
      credit: this.window,
      consumed: 0,
      waitingForCredit: false,
      closedByPeer: false,
      pending: [],
      pendingBytes: 0,
    };
    this.channels.set(id, channel);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      // Reads of one event-loop turn (libuv reads at most 64 KiB at a time, several in a row) leave
      // in one frame, at the end of the turn's I/O phase: fewer, larger frames for the relay and the
      // far agent to handle. The bytes are copied into the frame once either way.
      if (channel.pendingBytes === 0) setImmediate(this.flushChannel, channel);
      channel.pending.push(chunk);
      channel.pendingBytes += chunk.length;
      channel.credit -= chunk.length;
      if (channel.credit <= 0 && !channel.waitingForCredit) {
        channel.waitingForCredit = true;
        socket.pause();
      }
    });
    // Our side is done sending: an empty frame tells the far socket to end its writing side too.
    socket.on("end", () => {
      if (this.channels.get(id) !== channel) return;
      this.flush(channel);
      this.send(dataFrame(id, Buffer.alloc(0)));
    });
    socket.on("error", (error) => {
      channel.error = error.message;
    });
    socket.on("close", () => {
      if (this.channels.get(id) !== channel) return;
      this.flush(channel);
      this.channels.delete(id);
      if (!channel.closedByPeer)
        this.sendControl({
          type: "close",
          channelId: id,
          ...(channel.error ? { reason: channel.error } : {}),
        });
      this.events.onChannelClosed?.(id, channel.error);
    });
  }

  /** Sends what the channel's socket read since the last flush, in frames of at most MAX_FRAME_PAYLOAD. */
  private flush(channel: Channel): void {
    let remaining = channel.pendingBytes;
    if (remaining === 0) return;
    const chunks = channel.pending;
    let index = 0;
    let offset = 0;
    while (remaining > 0) {
      const size = Math.min(remaining, MAX_FRAME_PAYLOAD);
      const frame = Buffer.allocUnsafe(4 + size);
      frame.writeUInt32BE(channel.id, 0);
      let at = 4;
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
    chunks.length = 0;
    channel.pendingBytes = 0;
  }

  private readonly flushChannel = (channel: Channel): void => {
    // A channel that closed meanwhile flushed on its way out.
    if (this.channels.get(channel.id) === channel) this.flush(channel);
  };

  /** A binary frame from the relay. */
  onBinary(frame: Buffer): void {
    if (frame.length < 4) return;
    const id = frame.readUInt32BE(0);
    if (id === WINDOW_CHANNEL) {
      if (frame.length !== WINDOW_FRAME_BYTES) return;
      const channel = this.channels.get(frame.readUInt32BE(4));
      if (!channel) return;
      channel.credit += frame.readUInt32BE(8);
      if (channel.waitingForCredit && channel.credit > 0) {
        channel.waitingForCredit = false;
        channel.socket.resume();
      }
      return;
    }
    const channel = this.channels.get(id);
    if (!channel) return;
    if (frame.length === 4) {
      channel.socket.end();
      return;
    }
    const payload = frame.subarray(4);
    const length = payload.length;
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
        channel.consumed = 0;
      }
    });
  }

  /** An open or close from the relay. */
  onControl(message: { type: "open" | "close"; channelId: number; reason?: string | undefined }): void {
    if (message.type === "open") {
      this.events.onOpen?.(message.channelId);
      return;
    }
    const channel = this.channels.get(message.channelId);
    if (!channel) return;
    channel.closedByPeer = true;
    this.channels.delete(message.channelId);
    this.events.onChannelClosed?.(message.channelId, message.reason);
    // Queued writes go out first (also those queued before an earlier half-close); then the socket is done.
    const socket = channel.socket;
    if (!socket.writableEnded) socket.end();
    if (socket.writableFinished || socket.destroyed) socket.destroy();
    else socket.once("finish", () => socket.destroy());
  }

  /** The relay connection is gone: every channel ends now. */
  closeAll(): void {
    for (const channel of this.channels.values()) {
      channel.closedByPeer = true;
      channel.socket.destroy();
    }
    this.channels.clear();
  }

  sendControl(message: object): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }

  private send(frame: Buffer): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame, { binary: true });
  }
}
