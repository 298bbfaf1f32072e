/**
 * The relay's live state: the authenticated connections (peers), which clients are online under which
 * user name, and the channels that join a viewer's connection to a client's (opened, closed and
 * renumbered by tunnel.ts).
 *
 * Backpressure: every frame sent to a peer is counted until the socket has taken it; past the high
 * water mark the sender's connection is paused until the receiver drains. The per-channel windows
 * (4 MiB, enforced by the relay per hop: see `ChannelEnd.inFlight`) keep this from engaging unless a
 * peer is slower than several channels streaming to it at once.
 *
 * Under that, a hard cap: a connection with more than `maxQueuedBytes` queued towards it (twice the
 * high water mark by default) is not reading, whatever filled its queue, and is dropped
 * (docs/protocol.md "Limits"), so no peer can make the relay hold more than that for it.
 */
import type { Role } from "@tsunagi/core/domain";
import type { WebSocket } from "ws";

/** A channel carried on spliced data connections (data.ts): ended with the channel. */
export interface SpliceHandle {
  destroy(): void;
}

/** One side's view of a channel: the far peer, the channel's id on the far connection. */
export interface ChannelEnd {
  readonly peer: Peer;
  readonly id: number;
  /** Set when the channel's bytes travel on data connections, not in this connection's frames. */
  readonly splice?: SpliceHandle;
  /**
   * Bytes this side sent on the channel that the far side has not granted back yet (this hop's count,
   * docs/protocol.md "Backpressure"): beyond the window the sender ignored flow control.
   */
  inFlight: number;
}

/** A viewer's channel waiting for its client's relay to be found and linked (tunnel.ts). */
export interface PendingChannel {
  /** Frames the viewer sent meanwhile, forwarded in order once the channel is linked. */
  readonly frames: Buffer[];
  /** Their payload bytes, counted against the channel's window as for an open channel. */
  inFlight: number;
  /** The viewer closed it before it was linked. */
  closed: boolean;
  /** The viewer asked for a data connection: it waits for an answer to its `open`. */
  data?: boolean;
}

/** A viewer or client connection, or a link to another relay of the fleet (link.ts). */
export type PeerRole = Role | "link";

export class Peer {
  readonly channels = new Map<number, ChannelEnd>();
  /** Viewer only: channels whose client sits on another relay, until the link to it is there. */
  readonly pending = new Map<number, PendingChannel>();
  /** Client and link: the next channel id given out on this connection. */
  nextChannelId = 1;
  /** Bytes handed to ws.send and not yet written to the socket. */
  pendingBytes = 0;
  paused = false;
  /** Senders paused until this peer drains. */
  readonly blocked = new Set<Peer>();
  /** Client only: the viewers already recorded as this session's peer. */
  readonly recordedViewers = new Set<string>();
  /** The relay released this session's lease itself (a drain): its close must not release it again. */
  leaseReleased = false;

  constructor(
    readonly ws: WebSocket,
    readonly role: PeerRole,
    readonly serverHost: string,
    readonly userName: string,
    readonly sessionId: string,
    /** Viewer only: the client it reaches and the clients it may reach. */
    readonly target: string,
    readonly reachable: ReadonlySet<string>,
    /** The contract the session belongs to (empty for a link): where its viewer's client is looked up. */
    readonly contractId = "",
  ) {}
}

export const peerKey = (serverHost: string, userName: string) => `${serverHost}\u0000${userName}`;

export class Peers {
  readonly clients = new Map<string, Peer>();
  readonly all = new Set<Peer>();
  /** The most bytes seen queued towards one connection after a write: `Relay.stats()`, for the tests. */
  peakQueuedBytes = 0;

  constructor(
    private readonly highWater: number,
    private readonly maxQueued: number,
    /** Called once a connection's queue passes `maxQueued`; the relay logs and drops it. */
    private readonly onOverflow: (ws: WebSocket, queuedBytes: number) => void,
  ) {}

  /**
   * After a write towards `ws`: what is queued towards it (the socket's unwritten bytes; `pendingBytes`
   * counts the same bytes from the relay's side, so the larger of the two), and the cap enforced.
   * False once the connection is being dropped.
   */
  checkQueued(ws: WebSocket, pendingBytes = 0): boolean {
    const queued = Math.max(ws.bufferedAmount, pendingBytes);
    if (queued > this.peakQueuedBytes) this.peakQueuedBytes = queued;
    if (queued <= this.maxQueued) return true;
    this.onOverflow(ws, queued);
    return false;
  }

  add(peer: Peer): Peer | undefined {
    this.all.add(peer);
    if (peer.role !== "client") return undefined;
    const key = peerKey(peer.serverHost, peer.userName);
    const previous = this.clients.get(key);
    this.clients.set(key, peer);
    return previous;
  }

  remove(peer: Peer): void {
    this.all.delete(peer);
    const key = peerKey(peer.serverHost, peer.userName);
    if (this.clients.get(key) === peer) this.clients.delete(key);
    peer.pending.clear();
    const reason =
      peer.role === "link" ? "the link to the other relay was lost" : `${peer.role} disconnected`;
    for (const [id, end] of peer.channels) {
      end.splice?.destroy();
      end.peer.channels.delete(end.id);
      this.sendControl(end.peer, { type: "close", channelId: end.id, reason });
      peer.channels.delete(id);
    }
    this.release(peer);
  }

  client(serverHost: string, userName: string): Peer | undefined {
    return this.clients.get(peerKey(serverHost, userName));
  }

  /**
   * Sends a control message to `to`. `from` is paused while `to` has too much queued; a reply to a
   * peer's own request passes the peer as both, so a peer that floods requests and reads no answers
   * stops being read instead of growing the relay's queue. `written` runs once the socket took it.
   */
  sendControl(to: Peer, message: object, from?: Peer, written?: () => void): void {
    this.send(from, to, JSON.stringify(message), false, written);
  }

  /** Sends towards `to`, pausing `from` (when given) while `to` has too much queued. */
  send(from: Peer | undefined, to: Peer, data: Buffer | string, binary: boolean, written?: () => void): void {
    if (to.ws.readyState !== to.ws.OPEN) return;
    const bytes = typeof data === "string" ? Buffer.byteLength(data) : data.length;
    to.pendingBytes += bytes;
    to.ws.send(data, { binary }, () => {
      to.pendingBytes -= bytes;
      written?.();
      if (to.pendingBytes <= this.highWater / 2) this.release(to);
    });
    if (!this.checkQueued(to.ws, to.pendingBytes)) return;
    if (from && to.pendingBytes > this.highWater && !from.paused) {
      from.paused = true;
      from.ws.pause();
      to.blocked.add(from);
    }
  }

  /** Resumes every sender waiting on `to`. */
  private release(to: Peer): void {
    for (const sender of to.blocked) {
      sender.paused = false;
      sender.ws.resume();
    }
    to.blocked.clear();
  }
}
