/**
 * The relay: an HTTP server (Hono, for health and for refusing plain requests) whose `/v1/connect`
 * upgrades to the control WebSocket of one viewer or client. `createRelay(deps)` takes the database,
 * the clock and the config, so tests run a real relay on port 0 against a real database.
 *
 * The upgrade is handed to `ws` directly rather than through Hono's WebSocket helper: the helper
 * copies every binary frame into a fresh ArrayBuffer and hides `pause()` / the send callback, and the
 * tunnel needs both for throughput and for backpressure.
 */
import { createPublicKey, randomBytes, randomUUID, verify } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";
import { createAdaptorServer } from "@hono/node-server";
import {
  authFailureFor,
  type DeviceIdentity,
  deviceProofTranscript,
  dummyHashOnce,
  type FromRelay,
  type Hello,
  MAX_CONTROL_MESSAGE_BYTES,
  type ProofBinding,
  programOf,
  rateLimitKey,
  TLS_EXPORTER_BYTES,
  TLS_EXPORTER_CONTEXT,
  TLS_EXPORTER_LABEL,
  ToRelay,
} from "@tsunagi/core";
import { closeSession, type Database, expireStaleSessions, heartbeat, setSessionPeer } from "@tsunagi/db";
import { Hono } from "hono";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { authenticate } from "./auth.js";
import { type RelayConfig, resolveConfig } from "./config.js";
import { CHANNEL_WINDOW, WINDOW_CHANNEL, WINDOW_FRAME_BYTES } from "./frames.js";
import { jsonLog, type Log } from "./log.js";
import { freeChannelId, Peer, Peers } from "./peers.js";
import { RateLimiter } from "./rate-limit.js";
import { Semaphore } from "./semaphore.js";
import { sourceAddress } from "./source-address.js";

export const CONNECT_PATH = "/v1/connect";

/** WebSocket close codes the relay uses (documented in docs/protocol.md). */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  malformed: 1008,
  oversize: 1009,
  tryAgainLater: 1013,
  authenticationFailed: 4000,
  disconnectedByAdmin: 4003,
  sessionEnded: 4004,
} as const;

/** What the relay asked a viewer to sign, and what ties it to this connection (docs/protocol.md "Handshake"). */
interface PendingChallenge {
  readonly nonce: Buffer;
  readonly connectionId: Buffer;
  readonly binding: ProofBinding;
  readonly tlsExporter?: Buffer;
}

/**
 * A fresh challenge for the connection on `socket`. When the relay terminates TLS itself the proof is
 * bound to the TLS session's exporter value, which a relay in between (terminating the viewer's TLS
 * and opening its own to us) cannot make the viewer sign; behind a TLS-terminating proxy there is no
 * TLS session here, and the proof is bound to the connection id alone.
 */
function challengeFor(socket: Socket): PendingChallenge {
  const nonce = randomBytes(32);
  const connectionId = randomBytes(16);
  if (socket instanceof TLSSocket) {
    const tlsExporter = socket.exportKeyingMaterial(
      TLS_EXPORTER_BYTES,
      TLS_EXPORTER_LABEL,
      Buffer.from(TLS_EXPORTER_CONTEXT),
    );
    return { nonce, connectionId, binding: "tls-exporter", tlsExporter };
  }
  return { nonce, connectionId, binding: "connection-id" };
}

export interface RelayDeps {
  readonly db: Database;
  readonly config?: Partial<RelayConfig>;
  readonly now?: () => Date;
  readonly log?: Log;
  /** PEM certificate and key: the relay speaks TLS itself (wss://). Without them it is plain ws://. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

export interface Relay {
  readonly app: Hono;
  readonly config: RelayConfig;
  /** Starts listening; port 0 picks a free one. */
  listen(port: number, host?: string): Promise<{ port: number; url: string }>;
  /** Closes every connection (ending their sessions in the database) and stops listening. */
  close(): Promise<void>;
  stats(): {
    peers: number;
    clients: number;
    hashesActive: number;
    hashesQueued: number;
    /** The most bytes seen queued towards one connection (docs/protocol.md "Limits"). */
    peakQueuedBytes: number;
  };
}

export function createRelay(deps: RelayDeps): Relay {
  const config = resolveConfig(deps.config);
  if (config.heartbeatIntervalMs >= config.staleAfterSeconds * 1000) {
    throw new Error("heartbeatIntervalMs must be shorter than the stale window, or live sessions expire");
  }
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? jsonLog;
  const relayInstance = randomUUID();
  const hashes = new Semaphore(config.maxConcurrentHashes, config.maxQueuedHashes);
  const perAddress = new RateLimiter(config.rateLimitPerAddress);
  const perUser = new RateLimiter(config.rateLimitPerUser);
  /** Every open connection, with its source address for the log. */
  const sockets = new Map<WebSocket, string>();
  const peers = new Peers(config.peerHighWaterBytes, config.maxQueuedBytes, (ws, queuedBytes) => {
    const peer = [...peers.all].find((p) => p.ws === ws);
    log({
      event: "queue-overflow",
      code: CloseCode.malformed,
      source: sockets.get(ws),
      role: peer?.role,
      user: peer?.userName,
      queuedBytes,
      cap: config.maxQueuedBytes,
    });
    // It reads nothing, so a close frame would only queue behind the rest: the socket goes now.
    ws.close(CloseCode.malformed, "not reading");
    ws.terminate();
  });
  let closing = false;
  // The dummy hash is made once; making it now keeps the first unknown user as slow as any other.
  void dummyHashOnce();

  const app = new Hono()
    .get("/healthz", (c) => c.json({ status: "ok", peers: peers.all.size }))
    .get(CONNECT_PATH, (c) =>
      c.json({ error: { code: "upgrade-required", message: "Connect with a WebSocket" } }, 426),
    );

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(config.maxBinaryFrameBytes, MAX_CONTROL_MESSAGE_BYTES),
    perMessageDeflate: false,
    // Protocol-level pings are answered below, one pong at a time (RFC 6455 5.5.3 lets a pong answer
    // only the latest ping): ws's own answers would queue one per ping for a peer that never reads.
    autoPong: false,
  });

  const authDeps = {
    db,
    hashes,
    staleAfterSeconds: config.staleAfterSeconds,
    relayInstance,
    now,
    onDatabaseError: (error: unknown) => log({ event: "database-error", error: String(error) }),
  };

  function onConnection(ws: WebSocket, request: IncomingMessage): void {
    const source = sourceAddress(
      request.socket.remoteAddress,
      request.headers["x-forwarded-for"],
      config.trustedProxies,
    );
    sockets.set(ws, source);
    let phase: "hello" | "proof" | "auth" | "open" | "closed" = "hello";
    let hello: Hello | undefined;
    let challenge: PendingChallenge | undefined;
    let peer: Peer | undefined;
    let heartbeatTimer: NodeJS.Timeout | undefined;
    let alive = true;
    /** A pong of ours (either kind) the socket has not taken yet: while it waits, pings get no answer. */
    let pongWaiting = false;
    const handshakeTimer = setTimeout(
      () => protocolError("malformed", "no hello within the handshake time"),
      config.handshakeTimeoutMs,
    );

    const send = (message: FromRelay) => {
      if (peer) peers.sendControl(peer, message);
      else if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify(message));
        peers.checkQueued(ws);
      }
    };
    const closeWith = (code: number, reason: string) => {
      if (phase === "closed") return;
      phase = "closed";
      ws.close(code, reason);
    };
    function protocolError(code: "malformed" | "oversize", detail: string) {
      log({ event: "protocol-error", code, detail, source, user: hello?.user });
      send({
        type: "error",
        code,
        message: `${code === "oversize" ? "Frame too large" : "Malformed message"}: ${detail}`,
      });
      closeWith(code === "oversize" ? CloseCode.oversize : CloseCode.malformed, code);
    }

    ws.on("error", (error) => log({ event: "socket-error", source, error: error.message }));
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (phase === "closed") return;
      const buf = Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.isBuffer(data)
          ? data
          : Buffer.from(data);
      if (isBinary) return onBinary(buf);
      if (buf.length > MAX_CONTROL_MESSAGE_BYTES) {
        return protocolError("oversize", `control messages are at most ${MAX_CONTROL_MESSAGE_BYTES} bytes`);
      }
      let json: unknown;
      try {
        json = JSON.parse(buf.toString("utf8"));
      } catch {
        return protocolError("malformed", "not JSON");
      }
      const parsed = ToRelay.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return protocolError(
          "malformed",
          `${issue?.path.join(".") || "message"}: ${issue?.message ?? "invalid"}`,
        );
      }
      onControl(parsed.data);
    });

    ws.on("pong", () => {
      alive = true;
    });
    ws.on("ping", (data: Buffer) => {
      if (pongWaiting || ws.readyState !== ws.OPEN) return;
      pongWaiting = true;
      ws.pong(data, false, () => {
        pongWaiting = false;
      });
      peers.checkQueued(ws, peer?.pendingBytes);
    });

    ws.on("close", () => {
      phase = "closed";
      sockets.delete(ws);
      clearTimeout(handshakeTimer);
      clearInterval(heartbeatTimer);
      if (peer) {
        peers.remove(peer);
        const sessionId = peer.sessionId;
        // A failed close leaves the lease to go stale; the sweep then ends its history row.
        closeSession(db, sessionId).catch((error) =>
          log({ event: "database-error", during: "close-session", error: String(error) }),
        );
      }
    });

    function onControl(message: ToRelay) {
      switch (message.type) {
        case "hello":
          if (phase !== "hello") return protocolError("malformed", "hello sent twice");
          return onHello(message);
        case "proof":
          if (phase !== "proof" || !challenge || !hello)
            return protocolError("malformed", "unexpected proof");
          phase = "auth";
          return void runAuth(provenDevice(hello, challenge, message.signature));
        case "ping":
          // Answered only once the session is open, queued as the peer's own traffic, and only while
          // the previous answer is written: a peer that pings and reads nothing costs one pong.
          if (phase !== "open" || !peer || pongWaiting) return;
          pongWaiting = true;
          return peers.sendControl(peer, { type: "pong" }, peer, () => {
            pongWaiting = false;
          });
        case "pong":
          return;
        case "open":
          if (phase !== "open" || !peer) return protocolError("malformed", "open before authentication");
          return onOpen(peer, message.channelId);
        case "close":
          if (phase !== "open" || !peer) return protocolError("malformed", "close before authentication");
          return onClose(peer, message.channelId, message.reason);
      }
    }

    function onHello(message: Hello) {
      hello = message;
      // An IPv6 host usually holds a whole /64: one bucket for it, or each address would be a new bucket.
      if (!perAddress.take(rateLimitKey(source)) || !perUser.take(`${message.server}\u0000${message.user}`)) {
        log({ event: "rate-limited", source, server: message.server, user: message.user });
        send({ type: "error", code: "rate-limited", message: "Too many attempts; try again later" });
        return closeWith(CloseCode.tryAgainLater, "rate limited");
      }
      if (message.role === "viewer" && message.device) {
        phase = "proof";
        challenge = challengeFor(request.socket);
        return send({
          type: "challenge",
          nonce: challenge.nonce.toString("base64"),
          connectionId: challenge.connectionId.toString("base64"),
          binding: challenge.binding,
        });
      }
      phase = "auth";
      void runAuth(undefined);
    }

    async function runAuth(device: DeviceIdentity | undefined) {
      clearTimeout(handshakeTimer);
      if (!hello) return;
      const attemptHello = hello;
      const outcome = await authenticate(authDeps, {
        hello: attemptHello,
        provenDevice: device,
        sourceAddress: source,
      });
      switch (outcome.kind) {
        case "failure":
          send(authFailureFor(programOf(attemptHello)));
          return closeWith(CloseCode.authenticationFailed, "authentication failed");
        case "unavailable":
          send({
            type: "error",
            code: "unavailable",
            message: "The service is temporarily unavailable; try again shortly",
          });
          return closeWith(CloseCode.tryAgainLater, "service unavailable");
        case "busy":
          send({ type: "error", code: "rate-limited", message: "The relay is busy; try again shortly" });
          return closeWith(CloseCode.tryAgainLater, "busy");
        case "success":
          break;
      }
      if (phase === "closed" || closing) {
        // The connection went away while we authenticated: release the lease at once.
        await closeSession(db, outcome.sessionId).catch(() => {});
        return;
      }
      const target = attemptHello.role === "viewer" ? (attemptHello.target ?? attemptHello.user) : "";
      peer = new Peer(
        ws,
        attemptHello.role,
        attemptHello.server,
        attemptHello.user,
        outcome.sessionId,
        target,
        new Set(outcome.reachableClients),
      );
      const replaced = peers.add(peer);
      // The lease says this login won; a connection still registered under the name held a stale lease.
      replaced?.ws.close(CloseCode.sessionEnded, "session taken over");
      phase = "open";
      send({
        type: "result",
        ok: true,
        sessionId: outcome.sessionId,
        policy: outcome.policy,
        ...(attemptHello.role === "viewer" ? { reachableClients: [...outcome.reachableClients] } : {}),
      });
      log({
        event: "session-open",
        role: attemptHello.role,
        server: attemptHello.server,
        user: attemptHello.user,
        source,
      });
      heartbeatTimer = setInterval(() => void beat(), config.heartbeatIntervalMs);
    }

    async function beat() {
      if (!peer || phase !== "open") return;
      if (!alive) {
        // No pong since the last ping: the peer is gone without a close; the lease will go stale.
        log({ event: "peer-timeout", user: peer.userName, role: peer.role });
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
      try {
        const lease = await heartbeat(db, peer.sessionId);
        if (!lease.alive) closeWith(CloseCode.sessionEnded, "session ended");
        else if (lease.disconnectRequested)
          closeWith(CloseCode.disconnectedByAdmin, "disconnected by the account manager");
      } catch (error) {
        // The database is away: keep the session; the lease is renewed once it is back.
        log({ event: "database-error", during: "heartbeat", error: String(error) });
      }
    }

    function onBinary(buf: Buffer) {
      if (phase !== "open" || !peer) return protocolError("malformed", "binary frame before authentication");
      if (buf.length < 4)
        return protocolError("malformed", "binary frame shorter than its 4-byte channel id");
      if (buf.length > config.maxBinaryFrameBytes) {
        return protocolError("oversize", `binary frames are at most ${config.maxBinaryFrameBytes} bytes`);
      }
      const id = buf.readUInt32BE(0);
      if (id === WINDOW_CHANNEL) {
        if (buf.length !== WINDOW_FRAME_BYTES)
          return protocolError("malformed", "window update must be 12 bytes");
        const channelId = buf.readUInt32BE(4);
        const end = peer.channels.get(channelId);
        if (!end) return; // the channel closed while the update was in flight
        // The credit is for the other direction: what the far side sent on this channel.
        const sender = end.peer.channels.get(end.id);
        const granted = buf.readUInt32BE(8);
        if (sender) {
          if (granted > sender.inFlight) {
            return protocolError(
              "malformed",
              `window update for channel ${channelId} grants ${granted} bytes, but ${sender.inFlight} are in flight`,
            );
          }
          sender.inFlight -= granted;
        }
        buf.writeUInt32BE(end.id, 4);
        return peers.send(peer, end.peer, buf, true);
      }
      const end = peer.channels.get(id);
      if (!end) return;
      // The receiver enforces the window it granted (per hop): a sender past it ignores flow control,
      // and forwarding would only move the unbounded queue to the far agent.
      end.inFlight += buf.length - 4;
      if (end.inFlight > CHANNEL_WINDOW) {
        return protocolError(
          "malformed",
          `channel ${id} overran its window: ${end.inFlight} bytes in flight, ${CHANNEL_WINDOW} granted`,
        );
      }
      buf.writeUInt32BE(end.id, 0);
      peers.send(peer, end.peer, buf, true);
    }

    function onOpen(viewer: Peer, channelId: number) {
      if (viewer.role !== "viewer") return protocolError("malformed", "only a viewer opens channels");
      if (channelId === WINDOW_CHANNEL || viewer.channels.has(channelId)) {
        return protocolError("malformed", `channel ${channelId} is reserved or already open`);
      }
      // A refusal is a reply to the viewer's own request: sent with the viewer as the sender, so one
      // that floods opens and reads no answers is paused rather than queued for without bound.
      const refuse = (reason: string) =>
        peers.sendControl(viewer, { type: "close", channelId, reason }, viewer);
      const max = config.maxChannelsPerSession;
      if (viewer.channels.size >= max) return refuse(`at most ${max} channels may be open at once`);
      const client = peers.client(viewer.serverHost, viewer.target);
      if (!viewer.reachable.has(viewer.target)) {
        return refuse(`client ${viewer.target} is not reachable from this viewer`);
      }
      if (!client) return refuse(`client ${viewer.target} is not connected`);
      if (client.channels.size >= max) return refuse(`client ${viewer.target} has ${max} channels open`);
      const clientChannel = freeChannelId(client.channels, client.nextChannelId);
      client.nextChannelId = clientChannel + 1;
      viewer.channels.set(channelId, { peer: client, id: clientChannel, inFlight: 0 });
      client.channels.set(clientChannel, { peer: viewer, id: channelId, inFlight: 0 });
      // The viewer's own traffic: one that opens and closes channels to a client that doesn't read is paused.
      peers.sendControl(client, { type: "open", channelId: clientChannel }, viewer);
      if (!client.recordedViewers.has(viewer.userName)) {
        // Extended display: the client's history row names the viewer that reached it.
        client.recordedViewers.add(viewer.userName);
        setSessionPeer(db, client.sessionId, viewer.userName).catch((error) =>
          log({ event: "database-error", during: "set-peer", error: String(error) }),
        );
      }
    }

    function onClose(from: Peer, channelId: number, reason: string | undefined) {
      const end = from.channels.get(channelId);
      if (!end) return; // both ends may close at once; the second close finds nothing
      from.channels.delete(channelId);
      end.peer.channels.delete(end.id);
      peers.sendControl(end.peer, { type: "close", channelId: end.id, ...(reason ? { reason } : {}) }, from);
    }
  }

  /**
   * The identity, if its install key signed the transcript of our challenge on this connection for
   * this server, role and user; an unproven device counts as none.
   */
  function provenDevice(
    message: Hello,
    challenge: PendingChallenge,
    signature: string,
  ): DeviceIdentity | undefined {
    if (message.role !== "viewer" || !message.device) return undefined;
    const transcript = deviceProofTranscript({
      binding: challenge.binding,
      nonce: challenge.nonce,
      connectionId: challenge.connectionId,
      server: message.server,
      role: message.role,
      user: message.user,
      tlsExporter: challenge.tlsExporter,
    });
    try {
      const key = createPublicKey({
        key: Buffer.from(message.device.installPublicKey, "base64"),
        format: "der",
        type: "spki",
      });
      if (key.asymmetricKeyType !== "ed25519") return undefined;
      return verify(null, transcript, key, Buffer.from(signature, "base64")) ? message.device : undefined;
    } catch {
      return undefined;
    }
  }

  wss.on("connection", onConnection);

  const server = createAdaptorServer({
    fetch: app.fetch,
    ...(deps.tls
      ? { createServer: createHttpsServer, serverOptions: { cert: deps.tls.cert, key: deps.tls.key } }
      : { createServer: createHttpServer }),
  }) as Server;
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = new URL(request.url ?? "/", "http://relay").pathname;
    if (path !== CONNECT_PATH || closing) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  });

  // Abnormally dropped sessions (this relay's or a crashed one's) are ended once stale.
  const sweep = async () => {
    try {
      const expired = await expireStaleSessions(db, config.staleAfterSeconds);
      if (expired > 0) log({ event: "sessions-expired", count: expired });
    } catch (error) {
      log({ event: "database-error", during: "expire", error: String(error) });
    }
    perAddress.sweep();
    perUser.sweep();
  };
  const sweepTimer = setInterval(() => void sweep(), Math.max(250, (config.staleAfterSeconds * 1000) / 4));
  sweepTimer.unref();
  void sweep();

  return {
    app,
    config,
    listen(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          const address = server.address() as AddressInfo;
          const scheme = deps.tls ? "wss" : "ws";
          const hostText = address.family === "IPv6" ? `[${address.address}]` : address.address;
          resolve({ port: address.port, url: `${scheme}://${hostText}:${address.port}` });
        });
      });
    },
    async close() {
      closing = true;
      clearInterval(sweepTimer);
      const sessions = [...peers.all].map((p) => p.sessionId);
      for (const ws of sockets.keys()) ws.close(CloseCode.goingAway, "relay shutting down");
      await Promise.allSettled(sessions.map((id) => closeSession(db, id)));
      for (const ws of sockets.keys()) ws.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      wss.close();
    },
    stats() {
      return {
        peers: peers.all.size,
        clients: peers.clients.size,
        hashesActive: hashes.active,
        hashesQueued: hashes.queued,
        peakQueuedBytes: peers.peakQueuedBytes,
      };
    },
  };
}
