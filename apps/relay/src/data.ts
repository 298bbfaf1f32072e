/**
 * Data connections (docs/protocol.md "Data connections"): a channel carried on a TCP (or TLS)
 * connection of its own, which the relay splices to the far agent's without reading a byte of it.
 *
 * An authenticated session parks connections here with `GET /v1/data` (`Upgrade: tsunagi-data/1`,
 * its session id and the pool secret its `result` gave; at most `maxParked` at once). When a viewer's
 * channel opens and both sessions have parked connections, tunnel.ts asks for a splice: one random,
 * single-use token per side, bound to the session, the channel and the side, each sent in that side's
 * `open`. Each agent writes its token as the first bytes of a parked connection; once both halves
 * are there they are piped into each other (half-close kept, back-pressure by the pipes, an error
 * closing both). A token is consumed by its first presentation, whoever presents it; one presented on
 * another session's connection is refused and fails its channel; a channel whose halves are not both
 * there within `tokenTtlMs` ends.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { DATA_POOL_HEADER, DATA_SESSION_HEADER, DATA_TOKEN_BYTES, DATA_UPGRADE } from "@tsunagi/core/wire";
import { splice } from "@tsunagi/net";
import type { Log } from "./log.js";
import type { RelayMetrics } from "./metrics.js";
import type { Peer, Peers, SpliceHandle } from "./peers.js";

/** How long a channel's tokens wait for both data connections by default. */
export const DATA_TOKEN_MS = 10_000;
/**
 * Data connections one session may have parked at once by default. The reference agents keep 2, but
 * a connection an agent has taken for a channel stays parked here until its token arrives, which
 * across relays waits for the far relay's answer: a burst of channels holds one each meanwhile, so
 * the cap is the channel cap's (DEFAULT_MAX_CHANNELS).
 */
export const DATA_MAX_PARKED = 64;

export interface DataPathOptions {
  /** False: the relay offers only the multiplexed path (no `data` in the result, `/v1/data` refused). */
  readonly enabled?: boolean;
  readonly tokenTtlMs?: number;
  readonly maxParked?: number;
  /**
   * Spliced channels are sealed end to end (docs/protocol.md "Sealed channels"): each gets a key both
   * agents are given, and data connections may come as plain TCP on a TLS port (server.ts). The
   * default is on when the relay terminates TLS itself, where it would otherwise decrypt and
   * re-encrypt every byte.
   */
  readonly sealed?: boolean;
}

export interface DataPathDeps extends DataPathOptions {
  readonly peers: Peers;
  readonly log: Log;
  readonly metrics?: Pick<RelayMetrics, "relayed">;
}

type Side = "viewer" | "client";

interface Parking {
  readonly peer: Peer;
  readonly secret: Buffer;
  readonly parked: Set<Socket>;
  /** A connection was parked once: the session can carry channels on data connections. */
  ready: boolean;
}

interface TokenEntry {
  readonly splice: Splice;
  readonly side: Side;
  readonly session: Peer;
}

/** The pair of halves of one spliced channel, from its tokens to its end. */
export class Splice implements SpliceHandle {
  readonly halves: { viewer?: Socket; client?: Socket } = {};
  state: "waiting" | "joined" | "ended" = "waiting";
  readonly timer: NodeJS.Timeout;

  constructor(
    private readonly path: DataPath,
    readonly viewer: Peer,
    readonly viewerId: number,
    readonly client: Peer,
    readonly clientId: number,
    readonly tokens: readonly string[],
    ttlMs: number,
    /** Its agents were given a key: the bytes it carries are their TLS (docs/protocol.md "Sealed channels"). */
    readonly sealed: boolean,
  ) {
    this.timer = setTimeout(() => this.end("the data connections were not paired in time"), ttlMs);
    this.timer.unref();
  }

  /** One side's data connection presented its token. */
  attach(side: Side, socket: Socket): void {
    if (this.state !== "waiting" || this.halves[side]) {
      socket.destroy();
      return;
    }
    this.halves[side] = socket;
    socket.on("error", () => {});
    const { viewer, client } = this.halves;
    if (viewer && client) {
      this.join(viewer, client);
      return;
    }
    // The agent gave up on it (its local connection failed, it went away) before the other half came.
    socket.once("close", () => {
      if (this.state === "waiting") this.end("a data connection closed before it was paired");
    });
  }

  private join(a: Socket, b: Socket): void {
    this.state = "joined";
    this.path.joined += 1;
    if (this.sealed) this.path.sealedJoined += 1;
    clearTimeout(this.timer);
    this.path.forgetTokens(this);
    // An error closes both halves; either way the channel ends once both have closed.
    splice(a, b, {
      onBytes: (bytes) => this.path.counted(this, bytes),
      // A failure (a reset on one side) is told to both agents as one, so neither takes the cut
      // stream for a finished one.
      done: (error) => this.end(error === undefined ? undefined : `the data connection failed: ${error}`),
    });
  }

  /** Bytes the relay holds for this channel: both halves' read and write buffers. */
  heldBytes(): number {
    let bytes = 0;
    for (const socket of [this.halves.viewer, this.halves.client]) {
      if (socket) bytes += socket.readableLength + socket.writableLength;
    }
    return bytes;
  }

  /** The channel ended elsewhere (a `close`, a session gone): its data connections go now. */
  destroy(): void {
    if (this.state === "ended") return;
    this.state = "ended";
    clearTimeout(this.timer);
    this.path.forgetTokens(this);
    this.halves.viewer?.destroy();
    this.halves.client?.destroy();
    this.path.splices.delete(this);
  }

  /** The splice is over (both halves closed) or failed: the channel goes at both ends, both told. */
  end(reason: string | undefined): void {
    if (this.state === "ended") return;
    this.destroy();
    this.path.endChannel(this, reason);
  }
}

export class DataPath {
  readonly enabled: boolean;
  readonly sealed: boolean;
  private readonly tokenTtlMs: number;
  readonly maxParked: number;
  private readonly sessions = new Map<string, Parking>();
  private readonly tokens = new Map<string, TokenEntry>();
  readonly splices = new Set<Splice>();
  /** The most bytes one spliced channel was seen holding at the relay (`Relay.stats()`, for the tests). */
  peakHeldBytes = 0;
  /** Channels whose two halves were joined, since the relay started. */
  joined = 0;
  /** Of those, the sealed ones. */
  sealedJoined = 0;
  /** Link data connections taken in clear on a TLS internal port (sealed channels only). */
  linkedInClear = 0;

  constructor(private readonly deps: DataPathDeps) {
    this.enabled = deps.enabled ?? true;
    this.sealed = this.enabled && deps.sealed === true;
    this.tokenTtlMs = deps.tokenTtlMs ?? DATA_TOKEN_MS;
    this.maxParked = deps.maxParked ?? DATA_MAX_PARKED;
  }

  /** A session opened: its pool secret for the result, or undefined when data connections are off. */
  offer(peer: Peer): { pool: string; max: number; sealed?: true } | undefined {
    if (!this.enabled) return undefined;
    const secret = randomBytes(32);
    const parking: Parking = { peer, secret, parked: new Set(), ready: false };
    this.sessions.set(peer.sessionId, parking);
    peer.ws.once("close", () => {
      if (this.sessions.get(peer.sessionId) === parking) this.sessions.delete(peer.sessionId);
      for (const socket of parking.parked) socket.destroy();
      parking.parked.clear();
    });
    return {
      pool: secret.toString("base64url"),
      max: this.maxParked,
      ...(this.sealed ? { sealed: true } : {}),
    };
  }

  /**
   * Whether `peer`'s session has parked a data connection (and so can carry channels on them); a link
   * to another relay can, its data connections dialled per channel (link-data.ts).
   */
  usable(peer: Peer): boolean {
    if (peer.role === "link") return this.enabled;
    return this.sessions.get(peer.sessionId)?.ready === true;
  }

  /**
   * Tokens for a new spliced channel between a viewer's channel and a client's; the handle ends it.
   * With a key (this relay seals, or `seal` asks for it: a sealing relay's link open; or the key given,
   * the far relay's answer), both agents are to seal the channel with it.
   */
  splice(
    viewer: Peer,
    viewerId: number,
    client: Peer,
    clientId: number,
    seal: { readonly key?: string; readonly asked?: boolean } = {},
  ): { viewer: string; client: string; key?: string; handle: Splice } {
    const key =
      seal.key ??
      (this.sealed || seal.asked ? randomBytes(DATA_TOKEN_BYTES).toString("base64url") : undefined);
    const viewerToken = randomBytes(DATA_TOKEN_BYTES).toString("base64url");
    const clientToken = randomBytes(DATA_TOKEN_BYTES).toString("base64url");
    const splice = new Splice(
      this,
      viewer,
      viewerId,
      client,
      clientId,
      [viewerToken, clientToken],
      this.tokenTtlMs,
      key !== undefined,
    );
    this.splices.add(splice);
    this.tokens.set(viewerToken, { splice, side: "viewer", session: viewer });
    this.tokens.set(clientToken, { splice, side: "client", session: client });
    return { viewer: viewerToken, client: clientToken, ...(key ? { key } : {}), handle: splice };
  }

  /** `GET /v1/data` with an upgrade on the public listener (server.ts): parked, or refused. */
  accept(request: IncomingMessage, duplex: Duplex, head: Buffer): void {
    const socket = duplex as Socket;
    const refuse = (status: string, detail: string) => {
      this.deps.log({ event: "data-refused", source: socket.remoteAddress, detail });
      socket.on("error", () => {});
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!this.enabled) {
      refuse("404 Not Found", "data connections are off");
      return;
    }
    if ((request.headers.upgrade ?? "").toLowerCase() !== DATA_UPGRADE) {
      refuse("400 Bad Request", "unknown upgrade");
      return;
    }
    const sessionId = request.headers[DATA_SESSION_HEADER];
    const secret = request.headers[DATA_POOL_HEADER];
    const parking = typeof sessionId === "string" ? this.sessions.get(sessionId) : undefined;
    const given = typeof secret === "string" ? Buffer.from(secret, "base64url") : Buffer.alloc(0);
    if (!parking || given.length !== parking.secret.length || !timingSafeEqual(given, parking.secret)) {
      refuse("403 Forbidden", "no such session or wrong pool secret");
      return;
    }
    if (parking.parked.size >= this.maxParked) {
      refuse("429 Too Many Requests", `at most ${this.maxParked} data connections parked`);
      return;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${DATA_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`,
    );
    this.park(parking, socket, head);
  }

  /** A parked connection waits for its token: the first DATA_TOKEN_BYTES bytes its agent writes. */
  private park(parking: Parking, socket: Socket, head: Buffer): void {
    // Each direction ends on its own: a spliced channel keeps TCP's half-close.
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on("error", () => {});
    parking.parked.add(socket);
    parking.ready = true;
    let received = head;
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (received.length < DATA_TOKEN_BYTES) return;
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("end", onEnd);
      socket.pause();
      parking.parked.delete(socket);
      const rest = received.subarray(DATA_TOKEN_BYTES);
      if (rest.length > 0) socket.unshift(rest);
      this.present(parking, socket, received.subarray(0, DATA_TOKEN_BYTES));
    };
    const onClose = () => parking.parked.delete(socket);
    // Parked, an end is the agent letting the connection go (half-close means something only once spliced).
    const onEnd = () => socket.destroy();
    socket.on("data", onData);
    socket.on("close", onClose);
    socket.on("end", onEnd);
    if (head.length > 0) onData(Buffer.alloc(0));
    // A token that came with the request was presented already: the socket stays paused for its
    // splice, with what followed the token given back to it; resumed now, those bytes would be lost.
    if (parking.parked.has(socket)) socket.resume();
  }

  private present(parking: Parking, socket: Socket, token: Buffer): void {
    const key = token.toString("base64url");
    const entry = this.tokens.get(key);
    // Accepted once, whoever presents it: a replay finds nothing.
    if (entry) this.tokens.delete(key);
    if (!entry || entry.session !== parking.peer) {
      this.deps.log({
        event: "data-token-refused",
        user: parking.peer.userName,
        detail: entry ? "token of another session" : "unknown, used or expired token",
      });
      socket.destroy();
      // A token seen on another session's connection was leaked: its channel is not to be trusted.
      entry?.splice.end("a data connection token was presented by another session");
      return;
    }
    entry.splice.attach(entry.side, socket);
  }

  /**
   * A data connection another relay dialled to our internal listener (link-data.ts checked its MAC):
   * it carries the link side of one of our splices, whose token we gave that relay over the link.
   */
  acceptLinked(duplex: Duplex, node: string, token: string, inClear = false): void {
    const socket = duplex as Socket;
    socket.on("error", () => {});
    const entry = this.tokens.get(token);
    if (entry) this.tokens.delete(token);
    const ours = entry?.session.role === "link" && entry.session.userName === node && entry.side === "viewer";
    // In clear on a TLS internal port, only a sealed channel's bytes (the agents' TLS) may travel.
    const unsealedInClear = ours && inClear && !entry.splice.sealed;
    if (!entry || !ours || unsealedInClear) {
      this.deps.log({
        event: "data-token-refused",
        node,
        detail: unsealedInClear
          ? "link data connection in clear for a channel not sealed"
          : "link data connection with a token not its own",
      });
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      entry?.splice.end(
        unsealedInClear
          ? "a link data connection came in clear for a channel not sealed"
          : "a data connection token was presented by another relay",
      );
      return;
    }
    if (inClear) this.linkedInClear += 1;
    socket.allowHalfOpen = true;
    socket.setNoDelay(true);
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${DATA_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`,
    );
    entry.splice.attach("viewer", socket);
  }

  forgetTokens(splice: Splice): void {
    for (const token of splice.tokens) {
      if (this.tokens.get(token)?.splice === splice) this.tokens.delete(token);
    }
  }

  counted(splice: Splice, bytes: number): void {
    this.deps.metrics?.relayed(bytes, true);
    const held = splice.heldBytes();
    if (held > this.peakHeldBytes) this.peakHeldBytes = held;
  }

  /** A splice's channel is over: it leaves both peers, and both agents are told (`close`). */
  endChannel(splice: Splice, reason: string | undefined): void {
    const { peers } = this.deps;
    const ends: [Peer, number][] = [
      [splice.viewer, splice.viewerId],
      [splice.client, splice.clientId],
    ];
    for (const [peer, id] of ends) {
      if (peer.channels.get(id)?.splice !== splice) continue;
      peer.channels.delete(id);
      peers.sendControl(peer, { type: "close", channelId: id, ...(reason ? { reason } : {}) });
    }
  }

  /** Bytes every spliced channel holds at the relay now. */
  heldBytes(): number {
    let bytes = 0;
    for (const splice of this.splices) bytes += splice.heldBytes();
    return bytes;
  }

  /** Parked connections now (all sessions). */
  get parked(): number {
    let count = 0;
    for (const parking of this.sessions.values()) count += parking.parked.size;
    return count;
  }

  /** The relay closes: every data connection goes. */
  close(): void {
    for (const splice of [...this.splices]) splice.destroy();
    for (const parking of this.sessions.values()) for (const socket of parking.parked) socket.destroy();
    this.sessions.clear();
  }
}
