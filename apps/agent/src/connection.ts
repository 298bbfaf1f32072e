/**
 * One control connection to the relay: connect, say hello, answer the challenge with the install key,
 * and come back with the result — or with what the person is told. An authentication failure becomes
 * `AuthenticationError` whose message is built here from what the program knows about itself (core's
 * `personFacingFailure`), never from anything the relay says about the reason.
 *
 * The password goes only over TLS, or over plain ws:// to this machine (loopback): anything else is
 * refused before connecting. The device proof signs a transcript binding the relay's nonce to the
 * host part, role and user this program means and to this connection (its TLS exporter value when
 * the relay asks for it), so a relay in between cannot pass the proof on (docs/protocol.md "Handshake").
 */
import { isIPv4, isIPv6, type Socket } from "node:net";
import { TLSSocket } from "node:tls";
import type { Edition, Product } from "@tsunagi/core/domain";
import {
  deviceProofTranscript,
  TLS_EXPORTER_BYTES,
  TLS_EXPORTER_CONTEXT,
  TLS_EXPORTER_LABEL,
} from "@tsunagi/core/proof";
import { personFacingFailure, programFaultCodes } from "@tsunagi/core/reference-code";
import { FromRelay, type Hello, type Result, ROUTE_PARAM, routingKey } from "@tsunagi/core/wire";
import WebSocket from "ws";
import type { z } from "zod";
import { type LoadedIdentity, signProof } from "./identity.js";
import type { SessionDataOptions } from "./session.js";
import { type DataPathMode, dataUrl } from "./tunnel/data.js";

export const AGENT_VERSION = "0.1.0";

/** Authentication failed; `message` is "Authentication error (reference code 293)". */
export class AuthenticationError extends Error {
  override name = "AuthenticationError";
  constructor(
    readonly referenceCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The relay refused for another reason (unavailable, rate-limited, malformed): worth retrying later. */
export class RelayError extends Error {
  override name = "RelayError";
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Refused before connecting: plain ws:// beyond loopback would carry the password in the clear. */
export class InsecureTransportError extends Error {
  override name = "InsecureTransportError";
}

/** Whether a URL's host name is this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (host === "localhost") return true;
  if (isIPv4(host)) return host.startsWith("127.");
  return isIPv6(host) && host === "::1";
}

/** Throws InsecureTransportError for ws:// to anything but loopback; wss:// passes. */
export function assertSecureTransport(server: string): void {
  const url = new URL(connectUrl(server));
  if (url.protocol === "ws:" && !isLoopbackHost(url.hostname)) {
    throw new InsecureTransportError(
      `Refusing ${server}: plain ws:// would send the password unencrypted; use wss:// (ws:// is for loopback only)`,
    );
  }
}

/** The relay could not be reached or its TLS certificate is not trusted. */
export class ConnectionError extends Error {
  override name = "ConnectionError";
  constructor(
    message: string,
    /** 431 / 433 when the relay's certificate can't be trusted (see core's programFaultCodes). */
    readonly referenceCode?: number,
  ) {
    super(message);
  }
}

export interface CommonOptions {
  /** The relay's URL: wss://asp1.example.net, or ws://127.0.0.1:7410 on loopback. */
  readonly server: string;
  /** The relay's host part (asp1); by default the first label of the URL's host name. */
  readonly serverHost?: string;
  readonly user: string;
  readonly password: string;
  readonly mac?: string;
  /** Extra HTTP headers on the upgrade (tests: X-Forwarded-For through a trusted proxy). */
  readonly headers?: Record<string, string>;
  /** Extra CA certificates (PEM) to trust, for a relay with its own certificate. */
  readonly ca?: string | Buffer;
  readonly handshakeTimeoutMs?: number;
  /**
   * Which path channels take (docs/protocol.md "Data connections"): `auto` (the default) uses spliced
   * data connections when the relay offers them and the upgrade gets through, else the multiplexed
   * path; `spliced` and `mux` force one.
   */
  readonly dataPath?: DataPathMode;
  /** Data connections kept parked (DATA_POOL_SIZE, 2). */
  readonly dataPoolSize?: number;
}

/** What a session needs to dial its data connections, from the agent's options. */
export function sessionDataOptions(options: CommonOptions, program: Program): SessionDataOptions {
  return {
    mode: options.dataPath ?? "auto",
    url: dataUrl(routedUrl(options, program)),
    ca: options.ca,
    headers: options.headers,
    size: options.dataPoolSize,
  };
}

export interface ViewerHelloOptions {
  readonly product: Product;
  readonly edition?: Edition;
  readonly target?: string;
  readonly usbKeySerial?: string;
  readonly identity?: LoadedIdentity;
}

export type Program = { role: "client" } | ({ role: "viewer" } & ViewerHelloOptions);

export interface Connected {
  readonly ws: WebSocket;
  readonly result: z.infer<typeof Result>;
  /**
   * Hands the connection's further messages to `handler`, starting with any that arrived right behind
   * the result (several frames can arrive in one read, before the caller has attached).
   */
  attach(handler: (data: WebSocket.RawData, isBinary: boolean) => void): void;
}

/** The control WebSocket URL for a relay URL given as ws(s):// or http(s)://, with or without a path. */
export function connectUrl(server: string): string {
  const url = new URL(server.includes("://") ? server : `wss://${server}`);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  if (url.pathname === "/" || url.pathname === "") url.pathname = "/v1/connect";
  return url.toString();
}

/**
 * The URL an agent dials: the control URL with the pair's routing key (core's `routingKey` of the host
 * part and the client's user name) as the `route` parameter, so a load balancer hashing on it sends a
 * client and the viewers that reach it to one relay (docs/protocol.md "Reconnection and routing").
 * A query the operator's URL already has is kept; a `route` in it is replaced.
 */
export function routedUrl(options: CommonOptions, program: Program): string {
  const url = new URL(connectUrl(options.server));
  const clientUser = program.role === "client" ? options.user : (program.target ?? options.user);
  url.searchParams.set(ROUTE_PARAM, routingKey(serverHostOf(options.server, options.serverHost), clientUser));
  return url.toString();
}

/** The host part (asp1 of asp1.example.net); an address or localhost has none, so it must be given. */
export function serverHostOf(server: string, given?: string): string {
  if (given) return given;
  const host = new URL(connectUrl(server)).hostname;
  if (host === "localhost" || /^[\d.]+$/.test(host) || host.startsWith("[")) {
    throw new Error(`--server-host is needed: ${host} has no host part such as asp1`);
  }
  return host.split(".")[0] ?? host;
}

const UNTRUSTED_CA = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
]);
const INVALID_CERT = new Set(["CERT_HAS_EXPIRED", "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_NOT_YET_VALID"]);

/** (ours) Which TLS fault shows which of the sources' codes: 431 an unknown CA, 433 an invalid certificate. */
function connectionError(error: Error & { code?: string }): ConnectionError {
  const code = error.code ?? "";
  if (UNTRUSTED_CA.has(code)) {
    const ref = programFaultCodes.untrustedCertificate[0];
    return new ConnectionError(
      `Connection error (reference code ${ref}): the relay's certificate is not trusted`,
      ref,
    );
  }
  if (INVALID_CERT.has(code)) {
    const ref = programFaultCodes.untrustedCertificate[1];
    return new ConnectionError(
      `Connection error (reference code ${ref}): the relay's certificate is not valid for it`,
      ref,
    );
  }
  return new ConnectionError(`Cannot reach the relay: ${error.message}`);
}

/** Connects and authenticates; resolves once the relay's result says the session is open. */
export function connectAndAuthenticate(options: CommonOptions, program: Program): Promise<Connected> {
  try {
    assertSecureTransport(options.server);
  } catch (error) {
    return Promise.reject(error);
  }
  let hello: Hello;
  let url: string;
  try {
    hello = helloOf(options, program);
    url = routedUrl(options, program);
  } catch (error) {
    return Promise.reject(error);
  }
  const ws = new WebSocket(url, {
    headers: options.headers,
    ca: options.ca,
    perMessageDeflate: false,
    handshakeTimeout: options.handshakeTimeoutMs ?? 15_000,
    maxPayload: 1024 * 1024,
  });
  // The TLS session the proof is bound to (the upgrade response arrives on it).
  let transport: Socket | undefined;
  ws.once("upgrade", (response) => {
    transport = response.socket;
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      ws.terminate();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new ConnectionError("The relay did not answer in time")),
      options.handshakeTimeoutMs ?? 30_000,
    );
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      if (isBinary) return fail(new RelayError("malformed", "binary frame during authentication"));
      let message: FromRelay;
      try {
        message = FromRelay.parse(JSON.parse(data.toString()));
      } catch {
        return fail(new RelayError("malformed", "the relay sent a malformed message"));
      }
      switch (message.type) {
        case "challenge": {
          if (program.role !== "viewer" || !program.identity)
            return fail(new RelayError("malformed", "unexpected challenge"));
          const tls = transport instanceof TLSSocket ? transport : undefined;
          if (message.binding === "tls-exporter" && !tls) {
            // The relay speaks TLS but we don't reach it over TLS: something in between relays us.
            return fail(new ConnectionError("The relay asked for a TLS-bound proof over a plain connection"));
          }
          const transcript = deviceProofTranscript({
            binding: message.binding,
            nonce: Buffer.from(message.nonce, "base64"),
            connectionId: Buffer.from(message.connectionId, "base64"),
            server: hello.server,
            role: hello.role,
            user: hello.user,
            tlsExporter: tls?.exportKeyingMaterial(
              TLS_EXPORTER_BYTES,
              TLS_EXPORTER_LABEL,
              Buffer.from(TLS_EXPORTER_CONTEXT),
            ),
          });
          ws.send(
            JSON.stringify({ type: "proof", signature: signProof(program.identity.privateKey, transcript) }),
          );
          return;
        }
        case "failure": {
          const own = personFacingFailure(
            program.role === "client" ? { role: "client" } : { role: "viewer", product: program.product },
          );
          return fail(new AuthenticationError(own.referenceCode, own.message));
        }
        case "error":
          return fail(new RelayError(message.code, message.message));
        case "result": {
          if (settled) return;
          settled = true;
          cleanup();
          const early: [WebSocket.RawData, boolean][] = [];
          const queue = (d: WebSocket.RawData, b: boolean) => early.push([d, b]);
          ws.on("message", queue);
          return resolve({
            ws,
            result: message,
            attach(handler) {
              ws.off("message", queue);
              for (const [d, b] of early) handler(d, b);
              ws.on("message", handler);
            },
          });
        }
        default:
          return;
      }
    };
    const onError = (error: Error) => fail(connectionError(error));
    const onClose = (code: number, reason: Buffer) =>
      fail(
        new ConnectionError(
          `The relay closed the connection (${code}${reason.length ? ` ${reason.toString()}` : ""})`,
        ),
      );
    const cleanup = () => {
      clearTimeout(timer);
      ws.off("message", onMessage);
      ws.off("error", onError);
      ws.off("close", onClose);
    };
    ws.on("message", onMessage);
    ws.on("error", onError);
    ws.on("close", onClose);
    ws.once("open", () => ws.send(JSON.stringify(hello)));
  });
}

function helloOf(options: CommonOptions, program: Program): Hello {
  const common = {
    type: "hello" as const,
    server: serverHostOf(options.server, options.serverHost),
    user: options.user,
    password: options.password,
    version: AGENT_VERSION,
    ...(options.mac ? { mac: options.mac } : {}),
  };
  if (program.role === "client") return { ...common, role: "client" };
  return {
    ...common,
    role: "viewer",
    product: program.product,
    ...(program.edition ? { edition: program.edition } : {}),
    ...(program.target ? { target: program.target } : {}),
    ...(program.usbKeySerial ? { usbKeySerial: program.usbKeySerial } : {}),
    ...(program.identity ? { device: program.identity.identity } : {}),
  };
}
