/**
 * One agent's connection to the relay, from its hello to its close: the rate limits, the challenge and
 * the device proof, authentication (auth.ts), the open session's part in the relay's heartbeat
 * (heartbeats.ts), and the close codes
 * (docs/protocol.md "Handshake", "Errors and close codes"). Once the session is open, channels and
 * binary frames go to the tunnel (tunnel.ts).
 */
import { createPublicKey, randomBytes, verify } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { rateLimitKey } from "@tsunagi/core/address";
import {
  deviceProofTranscript,
  type ProofBinding,
  TLS_EXPORTER_BYTES,
  TLS_EXPORTER_CONTEXT,
  TLS_EXPORTER_LABEL,
} from "@tsunagi/core/proof";
import { programOf } from "@tsunagi/core/reference-code";
import type { DeviceIdentity } from "@tsunagi/core/rules";
import {
  authFailureFor,
  CloseCode,
  type FromRelay,
  type Hello,
  MAX_CONTROL_MESSAGE_BYTES,
  ToRelay,
} from "@tsunagi/core/wire";
import { closeSession, type Database, type LeaseState, loggableError } from "@tsunagi/db";
import type { RawData, WebSocket } from "ws";
import { type AuthDeps, authenticate } from "./auth.js";
import type { RelayConfig } from "./config.js";
import type { DataPath } from "./data.js";
import type { Beating, Heartbeats } from "./heartbeats.js";
import type { Log } from "./log.js";
import type { RelayMetrics } from "./metrics.js";
import { Peer, type Peers } from "./peers.js";
import type { RateLimiter } from "./rate-limit.js";
import { sourceAddress } from "./source-address.js";
import type { Tunnel, Violation } from "./tunnel.js";

export { CloseCode };

/** What a connection shares with the rest of the relay (server.ts builds it once). */
export interface RelayContext {
  readonly config: RelayConfig;
  readonly db: Database;
  readonly log: Log;
  readonly auth: AuthDeps;
  readonly perAddress: RateLimiter;
  readonly perUser: RateLimiter;
  readonly peers: Peers;
  readonly tunnel: Tunnel;
  /** The relay's one heartbeat timer: an open session joins it, and leaves it at its close. */
  readonly heartbeats: Heartbeats;
  /** Every open connection, with its source address for the log. */
  readonly sockets: Map<WebSocket, string>;
  /** The relay is shutting down: a login that succeeds now releases its lease at once. */
  readonly closing: () => boolean;
  /** The relay is draining: no new hello; a login that succeeds now is released and sent elsewhere. */
  readonly draining: () => boolean;
  /** Handshakes by outcome class (metrics.ts). */
  readonly metrics: RelayMetrics;
  /** Spliced data connections (data.ts): a session's pool secret goes in its result. */
  readonly data?: DataPath;
}

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

/** Runs one upgraded WebSocket through the handshake and, once authenticated, its session. */
export function onConnection(relay: RelayContext, ws: WebSocket, request: IncomingMessage): void {
  const { config, db, log, peers, tunnel } = relay;
  const source = sourceAddress(
    request.socket.remoteAddress,
    request.headers["x-forwarded-for"],
    config.trustedProxies,
  );
  relay.sockets.set(ws, source);
  let phase: "hello" | "proof" | "auth" | "open" | "closed" = "hello";
  let hello: Hello | undefined;
  let challenge: PendingChallenge | undefined;
  let peer: Peer | undefined;
  let beating: Beating | undefined;
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
  function protocolError(code: Violation["code"], detail: string) {
    if (phase === "hello" || phase === "proof") relay.metrics.handshake("malformed");
    log({ event: "protocol-error", code, detail, source, user: hello?.user });
    send({
      type: "error",
      code,
      message: `${code === "oversize" ? "Frame too large" : "Malformed message"}: ${detail}`,
    });
    closeWith(code === "oversize" ? CloseCode.oversize : CloseCode.malformed, code);
  }
  const violated = (violation: Violation | undefined) => {
    if (violation) protocolError(violation.code, violation.detail);
  };

  ws.on("error", (error) => log({ event: "socket-error", source, error: error.message }));
  ws.on("message", (data: RawData, isBinary: boolean) => {
    if (phase === "closed") return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (isBinary) {
      if (phase !== "open" || !peer) return protocolError("malformed", "binary frame before authentication");
      return violated(tunnel.onBinary(peer, buf));
    }
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
    relay.sockets.delete(ws);
    clearTimeout(handshakeTimer);
    if (beating) relay.heartbeats.delete(beating);
    if (peer) {
      peers.remove(peer);
      // A drain released the lease before it closed the connection, so the agent could log in again elsewhere.
      if (peer.leaseReleased) return;
      // While the relay shuts down, its close() releases every lease itself and waits for that; a
      // second release from here would only race the database connection being closed after it.
      if (relay.closing()) return;
      // A failed close leaves the lease to go stale; the sweep then ends its history row.
      closeSession(db, peer.sessionId).catch((error) =>
        log({ event: "database-error", during: "close-session", error: loggableError(error) }),
      );
    }
  });

  function onControl(message: ToRelay) {
    switch (message.type) {
      case "hello":
        if (phase !== "hello") return protocolError("malformed", "hello sent twice");
        return onHello(message);
      case "proof":
        if (phase !== "proof" || !challenge || !hello) return protocolError("malformed", "unexpected proof");
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
        return violated(tunnel.onOpen(peer, message.channelId, message.data === true));
      case "close":
        if (phase !== "open" || !peer) return protocolError("malformed", "close before authentication");
        return tunnel.onClose(peer, message.channelId, message.reason);
    }
  }

  function onHello(message: Hello) {
    hello = message;
    if (relay.draining()) {
      relay.metrics.handshake("unavailable");
      return closeWith(CloseCode.draining, "relay draining");
    }
    // An IPv6 host usually holds a whole /64: one bucket for it, or each address would be a new bucket.
    if (
      !relay.perAddress.take(rateLimitKey(source)) ||
      !relay.perUser.take(`${message.server}\u0000${message.user}`)
    ) {
      log({ event: "rate-limited", source, server: message.server, user: message.user });
      relay.metrics.handshake("rate_limited");
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
    const outcome = await authenticate(relay.auth, {
      hello: attemptHello,
      provenDevice: device,
      sourceAddress: source,
    });
    relay.metrics.handshake(outcome.kind);
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
    if (phase === "closed" || relay.closing() || relay.draining()) {
      // The connection went away while we authenticated, or the relay is going: release the lease at
      // once, and then send a draining relay's agent elsewhere (its lease no longer holds the name).
      await closeSession(db, outcome.sessionId).catch(() => {});
      if (relay.draining()) closeWith(CloseCode.draining, "relay draining");
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
      outcome.contractId,
    );
    const replaced = peers.add(peer);
    // The lease says this login won; a connection still registered under the name held a stale lease.
    replaced?.ws.close(CloseCode.sessionEnded, "session taken over");
    phase = "open";
    const data = relay.data?.offer(peer);
    send({
      type: "result",
      ok: true,
      sessionId: outcome.sessionId,
      policy: outcome.policy,
      ...(attemptHello.role === "viewer" ? { reachableClients: [...outcome.reachableClients] } : {}),
      ...(data ? { data } : {}),
    });
    log({
      event: "session-open",
      role: attemptHello.role,
      server: attemptHello.server,
      user: attemptHello.user,
      source,
    });
    beating = { sessionId: outcome.sessionId, ping, renewed };
    relay.heartbeats.add(beating);
  }

  /** The session's part in the relay's heartbeat: a ping to the peer; false when the last one went unanswered. */
  function ping(): boolean {
    if (!peer || phase !== "open") return false;
    if (!alive) {
      // No pong since the last ping: the peer is gone without a close; the lease will go stale.
      log({ event: "peer-timeout", user: peer.userName, role: peer.role });
      ws.terminate();
      return false;
    }
    alive = false;
    ws.ping();
    return true;
  }

  /** What the renewal of the session's lease said (heartbeats.ts). */
  function renewed(lease: LeaseState) {
    if (!lease.alive) closeWith(CloseCode.sessionEnded, "session ended");
    else if (lease.disconnectRequested)
      closeWith(CloseCode.disconnectedByAdmin, "disconnected by the account manager");
  }
}
