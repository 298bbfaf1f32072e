/**
 * The relay's server: HTTP or HTTPS (Hono, for health and for refusing plain requests) whose
 * `/v1/connect` upgrades to the control WebSocket of one viewer or client (connection.ts), behind
 * trusted proxies or not, and the sweep that ends stale sessions. `createRelay(deps)` takes the
 * database, the clock and the config, so tests run a real relay on port 0 against a real database.
 *
 * With `proxyProtocol` on, a TCP listener sits under the HTTP(S) server: a connection from a trusted
 * proxy must open with a PROXY v2 header (docs/protocol.md "Transport"), which is consumed here, before
 * TLS or HTTP sees a byte, and the address it names becomes the socket's peer address.
 *
 * The upgrade is handed to `ws` directly rather than through Hono's WebSocket helper: the helper
 * copies every binary frame into a fresh ArrayBuffer and hides `pause()` / the send callback, and the
 * tunnel needs both for throughput and for backpressure.
 */
import { randomUUID } from "node:crypto";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from "node:net";
import type { Duplex } from "node:stream";
import { Server as TlsServer } from "node:tls";
import { createAdaptorServer, getRequestListener } from "@hono/node-server";
import { addressAllowed, canonicalAddress } from "@tsunagi/core/address";
import { dummyHashOnce } from "@tsunagi/core/password";
import { parseProxyHeader } from "@tsunagi/core/proxy-protocol";
import { DATA_PATH, MAX_CONTROL_MESSAGE_BYTES } from "@tsunagi/core/wire";
import {
  closeSession,
  type Database,
  expireStaleSessions,
  fleetKey,
  loggableError,
  type NodeRegistration,
  reapDeadNodes,
  registerNode,
} from "@tsunagi/db";
import { Hono } from "hono";
import { type WebSocket, WebSocketServer } from "ws";
import { type RelayConfig, resolveConfig } from "./config.js";
import { CloseCode, onConnection, type RelayContext } from "./connection.js";
import { DataPath, type DataPathOptions } from "./data.js";
import { Heartbeats } from "./heartbeats.js";
import { LINK_PATH, Links } from "./link.js";
import { LINK_DATA_PATH, verifyLinkData } from "./link-data.js";
import { jsonLog, type Log } from "./log.js";
import { createRelayMetrics, metricsHandler } from "./metrics.js";
import { type Peer, Peers } from "./peers.js";
import { RateLimiter } from "./rate-limit.js";
import { Semaphore } from "./semaphore.js";
import { Tunnel } from "./tunnel.js";

export const CONNECT_PATH = "/v1/connect";

/** The first byte of a TLS connection: a handshake record (its ClientHello). */
const TLS_HANDSHAKE_RECORD = 0x16;

/** A request's path, without its query. */
const pathOf = (request: IncomingMessage) => new URL(request.url ?? "/", "http://relay").pathname;

/**
 * The plain side of a port that speaks TLS (docs/protocol.md "Sealed channels"): an upgrade to `path`
 * goes to `accept` (while `open()`); any other upgrade or request is refused with 426, logged.
 */
function plainSide(
  path: string,
  accept: (request: IncomingMessage, socket: Duplex, head: Buffer) => void,
  open: () => boolean,
  log: Log,
): Server {
  const refused = (socket: Socket) =>
    log({ event: "plain-refused", source: socket.remoteAddress, detail: `not ${path}` });
  const plain = createHttpServer((request, response) => {
    refused(request.socket);
    response.writeHead(426, { connection: "close", upgrade: "TLS/1.3", "content-type": "application/json" });
    response.end(JSON.stringify({ error: { code: "tls-required", message: "Connect with TLS" } }));
  });
  plain.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(request) === path && open()) return accept(request, socket, head);
    refused(socket as Socket);
    socket.end(
      "HTTP/1.1 426 Upgrade Required\r\nUpgrade: TLS/1.3\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
    );
  });
  return plain;
}

export interface RelayDeps {
  readonly db: Database;
  readonly config?: Partial<RelayConfig>;
  readonly now?: () => Date;
  readonly log?: Log;
  /** PEM certificate and key: the relay speaks TLS itself (wss://). Without them it is plain ws://. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /**
   * Where other relays of the fleet reach this one (link.ts): the internal listener's host (the public
   * listener's by default) and port (0, a free one, by default), and the URL they dial (ws://host:port
   * of what was bound, by default; give it when binding 0.0.0.0 or behind NAT).
   */
  readonly internal?: { readonly host?: string; readonly port?: number; readonly url?: string };
  /** Spliced data connections (data.ts): on by default; tests shorten the token's life. */
  readonly data?: DataPathOptions;
}

export interface Relay {
  readonly app: Hono;
  readonly config: RelayConfig;
  /** This relay's node id in the fleet (`active_sessions.relay_instance`). */
  readonly nodeId: string;
  /**
   * Starts listening (port 0 picks a free one), opens the internal listener for links from other
   * relays and registers the node; `internalUrl` is where the others dial.
   */
  listen(port: number, host?: string): Promise<{ port: number; url: string; internalUrl: string }>;
  /** Closes every connection (ending their sessions in the database) and stops listening. */
  close(): Promise<void>;
  /**
   * Drains: stops listening, marks the node draining, and sends every agent elsewhere (close 4010 once
   * its lease is released) — at once when it has no channel open, else when its channels are gone, and
   * all of them at the deadline; then closes. Resolves once closed.
   */
  drain(deadlineMs?: number): Promise<void>;
  /** Whether the node holds its liveness lock (false before `listen` and once it was lost). */
  nodeAlive(): boolean;
  stats(): {
    peers: number;
    clients: number;
    hashesActive: number;
    hashesQueued: number;
    /** The most bytes seen queued towards one connection (docs/protocol.md "Limits"). */
    peakQueuedBytes: number;
    /** Links to and from other relays that are up. */
    links: number;
    draining: boolean;
    /** Data connections parked, channels spliced, and the bytes spliced channels hold here now and at most. */
    data: {
      parked: number;
      spliced: number;
      joined: number;
      /** Joined channels that were sealed end to end. */
      sealed: number;
      /** Link data connections taken in clear on a TLS internal port (sealed channels only). */
      linkedInClear: number;
      heldBytes: number;
      peakHeldBytes: number;
    };
  };
}

/**
 * Gives a socket the peer address a PROXY header named: connection.ts (and every log line) reads the
 * source from the socket's peer address, as for a connection that came straight in.
 */
function namePeer(socket: Socket, address: string, port: number): void {
  const family = address.includes(":") ? "IPv6" : "IPv4";
  Object.defineProperty(socket, "remoteAddress", { value: address, configurable: true });
  Object.defineProperty(socket, "remotePort", { value: port, configurable: true });
  Object.defineProperty(socket, "remoteFamily", { value: family, configurable: true });
}

export function createRelay(deps: RelayDeps): Relay {
  const config = resolveConfig(deps.config);
  if (config.heartbeatIntervalMs >= config.staleAfterSeconds * 1000) {
    throw new Error("heartbeatIntervalMs must be shorter than the stale window, or live sessions expire");
  }
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const log = deps.log ?? jsonLog;
  const hashes = new Semaphore(config.maxConcurrentHashes, config.maxQueuedHashes);
  const sockets = new Map<WebSocket, string>();
  const peers = new Peers(config.peerHighWaterBytes, config.maxQueuedBytes, (ws, queuedBytes) => {
    // A link carries many sessions' channels, each within its window: its queue is theirs, not a peer's.
    if (links.isLink(ws)) return;
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
  let draining = false;
  const nodeId = randomUUID();
  const metrics = createRelayMetrics({
    peers,
    hashes,
    nodeAlive: () => registration !== undefined && !closing,
    draining: () => draining,
  });
  // The dummy hash is made once; making it now keeps the first unknown user as slow as any other.
  void dummyHashOnce();

  const dataPath = new DataPath({
    ...deps.data,
    sealed: deps.data?.sealed ?? deps.tls !== undefined,
    peers,
    log,
    metrics,
  });
  const relay: RelayContext = {
    config,
    db,
    log,
    auth: {
      db,
      hashes,
      staleAfterSeconds: config.staleAfterSeconds,
      relayInstance: nodeId,
      now,
      onDatabaseError: (error: unknown) => log({ event: "database-error", error: loggableError(error) }),
      onDatabaseSeconds: (seconds: number) => metrics.database("authentication", seconds),
    },
    perAddress: new RateLimiter(config.rateLimitPerAddress),
    perUser: new RateLimiter(config.rateLimitPerUser),
    peers,
    tunnel: new Tunnel({
      peers,
      db,
      log,
      maxBinaryFrameBytes: config.maxBinaryFrameBytes,
      maxChannelsPerSession: config.maxChannelsPerSession,
      metrics,
      data: dataPath,
    }),
    data: dataPath,
    heartbeats: new Heartbeats(db, log, config.heartbeatIntervalMs, metrics),
    sockets,
    closing: () => closing,
    draining: () => draining,
    metrics,
  };

  let key: Promise<Buffer> | undefined;
  const keyOnce = () => {
    key ??= fleetKey(db);
    // A failed read is tried again at the next link rather than remembered.
    key.catch(() => {
      key = undefined;
    });
    return key;
  };
  const links = new Links({
    selfId: nodeId,
    db,
    log,
    peers,
    tunnel: relay.tunnel,
    key: keyOnce,
    maxPayload: Math.max(config.maxBinaryFrameBytes, MAX_CONTROL_MESSAGE_BYTES),
    keepAliveMs: config.heartbeatIntervalMs,
  });
  relay.tunnel.remote = links;

  const app = new Hono()
    .get("/healthz", (c) =>
      draining
        ? c.json({ status: "draining", peers: peers.all.size }, 503)
        : c.json({ status: "ok", peers: peers.all.size }),
    )
    .get("/metrics", metricsHandler(metrics, config))
    .get(CONNECT_PATH, (c) =>
      c.json({ error: { code: "upgrade-required", message: "Connect with a WebSocket" } }, 426),
    );

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(config.maxBinaryFrameBytes, MAX_CONTROL_MESSAGE_BYTES),
    perMessageDeflate: false,
    // Protocol-level pings are answered in connection.ts, one pong at a time (RFC 6455 5.5.3 lets a
    // pong answer only the latest ping): ws's own answers would queue one per ping for a peer that
    // never reads.
    autoPong: false,
  });
  wss.on("connection", (ws: WebSocket, request: IncomingMessage) => onConnection(relay, ws, request));

  const server = createAdaptorServer({
    fetch: app.fetch,
    ...(deps.tls
      ? { createServer: createHttpsServer, serverOptions: { cert: deps.tls.cert, key: deps.tls.key } }
      : { createServer: createHttpServer }),
  }) as Server;
  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = pathOf(request);
    // A data connection (data.ts): spliced, never read as a WebSocket.
    if (path === DATA_PATH && !closing) return dataPath.accept(request, socket, head);
    if (path !== CONNECT_PATH || closing) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit("connection", ws, request));
  });

  // A sealing relay that terminates TLS also takes data connections as plain TCP on its port (their
  // channels are TLS end to end, docs/protocol.md "Sealed channels"): a connection's first byte tells
  // a TLS ClientHello (22, a handshake record) from an HTTP request. On the plain side only the data
  // upgrade is answered; anything else, a login above all, is refused.
  const plainData = deps.tls !== undefined && dataPath.sealed;
  const plainServer = plainSide(
    DATA_PATH,
    (...upgrade) => dataPath.accept(...upgrade),
    () => !closing,
    log,
  );
  // Connections handed over by a listener of ours (PROXY header, first byte) that have not made their
  // request or upgrade yet, each with the timer that drops it. Node's header and request timeouts
  // watch only the sockets a listening server accepted itself, so these get a deadline of ours: a
  // connection that sends nothing, or half a request, goes after `handshakeTimeoutMs`; one request is
  // answered and the connection closed (below); all go when the relay closes.
  const waiting = new Map<Socket, NodeJS.Timeout>();
  const stopWaiting = (socket: Socket) => {
    clearTimeout(waiting.get(socket));
    waiting.delete(socket);
  };
  /** The connection (the TCP socket under a TLS one) a request came on. */
  const connectionOf = (request: IncomingMessage) => {
    const socket = request.socket as Socket & { _parent?: Socket };
    return socket._parent ?? socket;
  };
  /** An upgrade came: its connection is in use for as long as it lasts. */
  const upgraded = (request: IncomingMessage) => stopWaiting(connectionOf(request));
  server.prependListener("upgrade", upgraded);
  plainServer.prependListener("upgrade", upgraded);
  // A request came: answered, its connection closes. Kept alive, a second request sent a byte at a
  // time would hold it for ever: Node stops the keep-alive timeout as such a request begins, and its
  // header timeout watches only a listening server's own sockets.
  const answered = (request: IncomingMessage, response: ServerResponse) => {
    const connection = connectionOf(request);
    if (!handed.has(connection)) return;
    stopWaiting(connection);
    response.setHeader("connection", "close");
  };
  server.prependListener("request", answered);
  /**
   * A connection (its PROXY header read, if any) to the server it speaks to: `tlsSide` alone, or by
   * its first byte `tlsSide` or `plainSide`.
   */
  const deliverTo = (tlsSide: Server, plainSide?: Server) => (socket: Socket) => {
    waiting.set(
      socket,
      setTimeout(() => socket.destroy(), config.handshakeTimeoutMs),
    );
    socket.on("error", () => {});
    socket.once("close", () => stopWaiting(socket));
    if (!plainSide) return hand(tlsSide, socket);
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      hand(chunk[0] === TLS_HANDSHAKE_RECORD ? tlsSide : plainSide, socket);
    });
    // Paused after a PROXY header (its bytes given back): the first byte is read either way.
    socket.resume();
  };
  const deliver = deliverTo(server, plainData ? plainServer : undefined);
  // Every socket handed to a server that does not listen itself (under a PROXY or first-byte
  // listener): Node's closeAllConnections does not reliably reach them (seen: a TLS socket with half a
  // request outlived it), so close() ends them.
  const handed = new Set<Socket>();
  const hand = (to: Server, socket: Socket) => {
    handed.add(socket);
    socket.once("close", () => handed.delete(socket));
    to.emit("connection", socket);
    // HTTP reads the socket as a stream and must be restarted; TLS takes the buffered bytes and the
    // handle over itself, and a resumed stream would take them back.
    if (!(to instanceof TlsServer)) socket.resume();
  };

  // Sockets from a trusted proxy whose PROXY header has not fully arrived yet.
  const awaitingHeader = new Set<Socket>();
  // The source each header named, for the TLS socket that wraps the raw one (its own peer is the proxy).
  const proxiedSources = new WeakMap<Socket, { readonly source: string; readonly sourcePort: number }>();
  if (deps.tls) {
    server.prependListener("secureConnection", (tlsSocket: Socket & { _parent?: Socket }) => {
      const named = tlsSocket._parent && proxiedSources.get(tlsSocket._parent);
      if (named) namePeer(tlsSocket, named.source, named.sourcePort);
    });
  }
  const readProxyHeader = (socket: Socket) => {
    const peer = canonicalAddress(socket.remoteAddress ?? "");
    // From anyone else the bytes are the connection's own (a header there would prove nothing).
    if (!addressAllowed(peer, config.trustedProxies)) {
      deliver(socket);
      return;
    }
    awaitingHeader.add(socket);
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => refuse("no PROXY header in time"), config.handshakeTimeoutMs);
    const done = () => {
      clearTimeout(timer);
      awaitingHeader.delete(socket);
      socket.off("data", onData);
      socket.off("close", done);
      socket.off("error", done);
    };
    const refuse = (detail: string) => {
      done();
      log({ event: "proxy-header-refused", source: peer, detail });
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const header = parseProxyHeader(received);
      if (header.kind === "incomplete") return;
      if (header.kind === "invalid") {
        refuse(header.message);
        return;
      }
      done();
      socket.pause();
      if (header.kind === "proxy") {
        namePeer(socket, header.source, header.sourcePort);
        proxiedSources.set(socket, header);
      }
      const rest = received.subarray(header.length);
      if (rest.length > 0) socket.unshift(rest);
      deliver(socket);
    };
    socket.on("data", onData);
    socket.on("close", done);
    // A reset before the header is over would otherwise be an unhandled 'error' (destroy closes it).
    socket.on("error", done);
  };
  const listener: NetServer = config.proxyProtocol
    ? createNetServer(readProxyHeader)
    : plainData
      ? createNetServer(deliver)
      : server;

  // Abnormally dropped sessions (this relay's or a crashed one's) are ended once stale.
  const sweep = async () => {
    try {
      const expired = await expireStaleSessions(db, config.staleAfterSeconds);
      if (expired > 0) log({ event: "sessions-expired", count: expired });
    } catch (error) {
      log({ event: "database-error", during: "expire", error: loggableError(error) });
    }
    relay.perAddress.sweep();
    relay.perUser.sweep();
  };
  const sweepTimer = setInterval(() => void sweep(), Math.max(250, (config.staleAfterSeconds * 1000) / 4));
  sweepTimer.unref();
  void sweep();
  relay.heartbeats.start();

  // Links from other relays arrive on a listener of their own, never behind the public balancer.
  const linkWss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(config.maxBinaryFrameBytes, MAX_CONTROL_MESSAGE_BYTES),
    perMessageDeflate: false,
  });
  const internalServer: Server = deps.tls
    ? createHttpsServer({ cert: deps.tls.cert, key: deps.tls.key })
    : createHttpServer();
  // The same health and metrics as the public port: an operator scrapes the internal address, which
  // stays up while a drain has closed the public one.
  internalServer.on("request", getRequestListener(app.fetch));
  /** Another relay's data connection for a spliced channel (link-data.ts): its MAC first. */
  const linkData = (request: IncomingMessage, socket: Duplex) => {
    socket.on("error", () => {});
    keyOnce().then(
      (fleet) => {
        const verified = verifyLinkData(request, fleet, nodeId);
        // In clear where this relay speaks TLS: allowed only for a sealed channel (data.ts).
        const inClear = deps.tls !== undefined && (socket as { encrypted?: boolean }).encrypted !== true;
        if (verified) return dataPath.acceptLinked(socket, verified.node, verified.token, inClear);
        log({ event: "link-refused", detail: "data connection without the fleet key" });
        socket.destroy();
      },
      () => socket.destroy(),
    );
  };
  // A sealing relay with TLS takes link data connections for sealed channels in clear on its internal
  // port too (their bytes are the agents' TLS; data.ts refuses one for a channel not sealed), told
  // from TLS by their first byte as on the public port. Nothing else is answered in clear.
  const internalPlainServer = plainSide(LINK_DATA_PATH, linkData, () => !closing, log);
  internalServer.prependListener("upgrade", upgraded);
  internalServer.prependListener("request", answered);
  internalPlainServer.prependListener("upgrade", upgraded);
  const internalListener: NetServer = plainData
    ? createNetServer(deliverTo(internalServer, internalPlainServer))
    : internalServer;
  internalServer.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = pathOf(request);
    if (path === LINK_DATA_PATH && !closing) return linkData(request, socket);
    if (path !== LINK_PATH || closing) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
      return;
    }
    linkWss.handleUpgrade(request, socket, head, (ws) => links.accept(ws, request.socket));
  });

  // The node: registered once listening, its liveness lock checked and dead nodes reaped on a timer.
  let registration: NodeRegistration | undefined;
  let internalUrl = "";
  let tending = false;
  const tendNode = async () => {
    if (tending || closing) return;
    tending = true;
    try {
      if (registration && !(await registration.check())) {
        // The connection holding the lock broke: another relay may reap this node's sessions; register again.
        log({ event: "node-lock-lost", node: nodeId });
        const lost = registration;
        registration = undefined;
        await lost.release().catch(() => {});
      }
      if (!registration) {
        registration = await registerNode(db, { id: nodeId, internalUrl });
        if (draining) await registration.markDraining();
      }
      const reaped = await reapDeadNodes(db, nodeId);
      if (reaped.nodes.length > 0)
        log({ event: "nodes-reaped", nodes: reaped.nodes, sessions: reaped.sessions });
    } catch (error) {
      log({ event: "database-error", during: "node", error: loggableError(error) });
    } finally {
      tending = false;
    }
  };
  let nodeTimer: NodeJS.Timeout | undefined;

  const listenOn = (target: NetServer, port: number, host: string) =>
    new Promise<AddressInfo>((resolve, reject) => {
      target.once("error", reject);
      target.listen(port, host, () => {
        target.off("error", reject);
        resolve(target.address() as AddressInfo);
      });
    });
  const urlOf = (address: AddressInfo) => {
    const scheme = deps.tls ? "wss" : "ws";
    const hostText = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `${scheme}://${hostText}:${address.port}`;
  };

  const close = async () => {
    if (closing) return;
    closing = true;
    clearInterval(sweepTimer);
    clearInterval(nodeTimer);
    relay.heartbeats.stop();
    const sessions = [...peers.all].filter((p) => !p.leaseReleased).map((p) => p.sessionId);
    for (const ws of sockets.keys()) ws.close(CloseCode.goingAway, "relay shutting down");
    links.close();
    dataPath.close();
    await Promise.allSettled(sessions.map((id) => closeSession(db, id)));
    for (const ws of sockets.keys()) ws.terminate();
    for (const socket of [...awaitingHeader, ...waiting.keys(), ...handed]) socket.destroy();
    await new Promise<void>((resolve) => {
      listener.close(() => resolve());
      server.closeAllConnections?.();
    });
    await new Promise<void>((resolve) => {
      internalListener.close(() => resolve());
      internalServer.closeAllConnections?.();
    });
    wss.close();
    linkWss.close();
    // Wait for a registration under way, so its lock is not left held on a connection being closed
    // (bounded: the database may be unreachable, and the lock goes with the connection anyway).
    const until = Date.now() + 6_000;
    while (tending && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    await registration
      ?.release()
      .catch((error: unknown) =>
        log({ event: "database-error", during: "node-release", error: loggableError(error) }),
      );
    registration = undefined;
  };

  let drained: Promise<void> | undefined;
  const drain = (deadlineMs = config.drainDeadlineMs) => {
    drained ??= (async () => {
      draining = true;
      log({ event: "draining", node: nodeId, sessions: peers.all.size, deadlineMs });
      // No new connection: the balancer's attempt fails and goes to another relay, its check fails.
      listener.close();
      await registration
        ?.markDraining()
        .catch((error: unknown) =>
          log({ event: "database-error", during: "drain", error: loggableError(error) }),
        );
      // Connections still in their handshake hold no lease: they go elsewhere now.
      const authenticated = new Set([...peers.all].map((p) => p.ws));
      for (const ws of sockets.keys()) {
        if (!authenticated.has(ws)) ws.close(CloseCode.draining, "relay draining");
      }
      // The lease goes first, so the agent's next login, on another relay, finds the name free.
      const sendAway = async (peer: Peer) => {
        peer.leaseReleased = true;
        await closeSession(db, peer.sessionId).catch((error: unknown) =>
          log({ event: "database-error", during: "drain", error: loggableError(error) }),
        );
        peer.ws.close(CloseCode.draining, "relay draining");
      };
      const deadline = Date.now() + deadlineMs;
      const staying = () => [...peers.all].filter((p) => !p.leaseReleased);
      while (staying().length > 0 && Date.now() < deadline) {
        const idle = staying().filter((p) => p.channels.size === 0 && p.pending.size === 0);
        await Promise.all(idle.map(sendAway));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const cut = staying();
      await Promise.all(cut.map(sendAway));
      // Let the close handshakes finish before the sockets are cut.
      const until = Date.now() + 2_000;
      while (sockets.size > 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
      log({ event: "drained", node: nodeId, cutAtDeadline: cut.length });
      await close();
    })();
    return drained;
  };

  return {
    app,
    config,
    nodeId,
    async listen(port, host = "127.0.0.1") {
      const address = await listenOn(listener, port, host);
      const internalHost = deps.internal?.host ?? host;
      const internal = await listenOn(internalListener, deps.internal?.port ?? 0, internalHost).catch(
        async (error: unknown) => {
          await new Promise((resolve) => listener.close(resolve));
          throw error;
        },
      );
      internalUrl = deps.internal?.url ?? urlOf(internal);
      await tendNode();
      nodeTimer = setInterval(() => void tendNode(), config.reapIntervalMs);
      nodeTimer.unref();
      return { port: address.port, url: urlOf(address), internalUrl };
    },
    close,
    drain,
    nodeAlive: () => registration !== undefined && !closing,
    stats() {
      return {
        peers: peers.all.size,
        clients: peers.clients.size,
        hashesActive: hashes.active,
        hashesQueued: hashes.queued,
        peakQueuedBytes: peers.peakQueuedBytes,
        links: links.size,
        draining,
        data: {
          parked: dataPath.parked,
          spliced: dataPath.splices.size,
          joined: dataPath.joined,
          sealed: dataPath.sealedJoined,
          linkedInClear: dataPath.linkedInClear,
          heldBytes: dataPath.heldBytes(),
          peakHeldBytes: dataPath.peakHeldBytes,
        },
      };
    },
  };
}
