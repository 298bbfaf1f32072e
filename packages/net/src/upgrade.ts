/**
 * Dialling an HTTP/1.1 upgrade to a protocol of our own (`tsunagi-data/1`, docs/protocol.md "Data
 * connections"): an agent's parked data connections, and a relay's data connection to another relay
 * of its fleet. Resolves with the socket, paused, once the far end answered 101 with that protocol;
 * bytes that came after the answer are given back to the stream (`unshift`), so the caller reads
 * them first.
 */
import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";

/**
 * The far end (or something in between) would not upgrade: an answer other than 101 with our
 * protocol, a reset, or a close before the answer. A timeout is a plain Error: nothing answered.
 */
export class UpgradeRefusedError extends Error {
  override name = "UpgradeRefusedError";
}

export interface UpgradeOptions {
  /** ws:, wss:, http: or https:; its path and query are the request's. */
  readonly url: URL;
  /** The protocol asked for in `Upgrade:` and required in the answer's. */
  readonly protocol: string;
  /** The request's own headers; a function is called once connected (a MAC bound to the TLS session). */
  readonly headers: Readonly<Record<string, string>> | ((socket: Socket) => Readonly<Record<string, string>>);
  /** For wss: and https: (the CA, the server name, ALPN, whether to verify). */
  readonly tls?: Omit<ConnectionOptions, "host" | "port" | "socket">;
  readonly timeoutMs: number;
}

/** The most an answer's head may take before the upgrade counts as refused. */
const MAX_RESPONSE_HEAD = 8 * 1024;

/** Whether a ws:, wss:, http: or https: URL speaks TLS. */
export function isSecureUrl(url: URL): boolean {
  return url.protocol === "wss:" || url.protocol === "https:";
}

/**
 * The same host, port, path and query without TLS (wss: → ws:, https: → http:), its port written out:
 * a TLS default is not plain's. A sealing relay takes plain connections there (docs/protocol.md
 * "Sealed channels").
 */
export function plainUrl(url: URL): URL {
  const plain = new URL(url);
  plain.protocol = url.protocol === "https:" ? "http:" : "ws:";
  plain.port = url.port || "443";
  return plain;
}

export function dialUpgrade(options: UpgradeOptions): Promise<Socket> {
  const { url } = options;
  const secure = isSecureUrl(url);
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port) || (secure ? 443 : 80);
  const socket: Socket = secure ? tlsConnect({ ...options.tls, host, port }) : netConnect({ host, port });
  // Each direction of what it will carry ends on its own (TCP's half-close).
  socket.allowHalfOpen = true;
  socket.setNoDelay(true);
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error("upgrade unanswered in time")), options.timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.off("end", onClose);
    };
    const fail = (error: Error) => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onError = (error: Error) => fail(new UpgradeRefusedError(`connection failed: ${error.message}`));
    const onClose = () => fail(new UpgradeRefusedError("connection closed before the upgrade"));
    const onData = (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) {
        if (received.length > MAX_RESPONSE_HEAD) fail(new UpgradeRefusedError("upgrade answer oversized"));
        return;
      }
      const head = received.subarray(0, end).toString("latin1").split("\r\n");
      const status = /^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? "")?.[1];
      const upgrade = head
        .slice(1)
        .find((line) => line.toLowerCase().startsWith("upgrade:"))
        ?.slice("upgrade:".length)
        .trim()
        .toLowerCase();
      if (status !== "101" || upgrade !== options.protocol) {
        fail(new UpgradeRefusedError(`upgrade refused (${head[0] || "no status"})`));
        return;
      }
      cleanup();
      socket.pause();
      const rest = received.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      // The caller's own handlers take over; until then an error must not go unhandled.
      socket.on("error", () => {});
      resolve(socket);
    };
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    // Half-open is allowed: a FIN before any answer closes nothing by itself.
    socket.on("end", onClose);
    socket.once(secure ? "secureConnect" : "connect", () => {
      const headers = typeof options.headers === "function" ? options.headers(socket) : options.headers;
      // The caller's headers never replace the request's own (whatever their case).
      const own = new Set(["host", "connection", "upgrade"]);
      const lines = Object.entries({
        ...Object.fromEntries(Object.entries(headers).filter(([name]) => !own.has(name.toLowerCase()))),
        Host: url.host,
        Connection: "Upgrade",
        Upgrade: options.protocol,
      }).map(([name, value]) => `${name}: ${value}\r\n`);
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\n${lines.join("")}\r\n`);
    });
  });
}
