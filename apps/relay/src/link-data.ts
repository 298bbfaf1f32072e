/**
 * Data connections between two relays of a fleet (docs/protocol.md "Data connections", "Fleet"): when
 * a viewer's spliced channel reaches a client held by another relay, the viewer's relay dials the
 * other's internal listener (`GET /v1/link-data`, `Upgrade: tsunagi-data/1`) and each relay splices
 * its agent's data connection with this one, so the bytes cross both relays as a pipe.
 *
 * Authenticated like the link (link.ts): the dialler names itself and shows an HMAC-SHA256 under the
 * fleet key over its node id, the acceptor's, the TLS session's exporter value (when the internal
 * listener speaks TLS) and the channel's token, which the acceptor gave it over their link and which
 * is accepted once. Nothing but a 101 and then the channel's bytes ever crosses it.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { connect as netConnect, type Socket } from "node:net";
import { TLSSocket, connect as tlsConnect } from "node:tls";
import { DATA_UPGRADE } from "@tsunagi/core/wire";

export const LINK_DATA_PATH = "/v1/link-data";
const LABEL = "tsunagi-link-data-v1";
const EXPORTER_LABEL = "EXPORTER-tsunagi-link-data";
const NODE_HEADER = "tsunagi-node";
const TOKEN_HEADER = "tsunagi-token";
const MAC_HEADER = "tsunagi-mac";
const DIAL_TIMEOUT_MS = 10_000;

function exporterOf(socket: unknown): string {
  return socket instanceof TLSSocket
    ? socket.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0)).toString("hex")
    : "";
}

function macOf(key: Buffer, dialer: string, acceptor: string, exporter: string, token: string): string {
  return createHmac("sha256", key)
    .update([LABEL, dialer, acceptor, exporter, token].join("\u0000"))
    .digest("hex");
}

/**
 * Dials node `remoteId`'s internal listener at `url` for the channel whose token it gave us; resolves
 * with the connection once it answered 101 (its far end is then spliced to its client's half).
 */
export function dialLinkData(options: {
  readonly url: string;
  readonly selfId: string;
  readonly remoteId: string;
  readonly key: Buffer;
  readonly token: string;
}): Promise<Socket> {
  const url = new URL(LINK_DATA_PATH, options.url);
  const secure = url.protocol === "wss:" || url.protocol === "https:";
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port) || (secure ? 443 : 80);
  // The MAC is bound to this TLS session (as the link's): the certificate is not what authenticates.
  const socket: Socket = secure
    ? tlsConnect({ host, port, rejectUnauthorized: false })
    : netConnect({ host, port });
  socket.allowHalfOpen = true;
  socket.setNoDelay(true);
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => fail("no answer in time"), DIAL_TIMEOUT_MS);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      socket.off("end", onClose);
    };
    const fail = (why: string) => {
      cleanup();
      socket.destroy();
      reject(new Error(`data connection to ${options.remoteId}: ${why}`));
    };
    const onError = (error: Error) => fail(error.message);
    const onClose = () => fail("closed before the upgrade");
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf("\r\n\r\n");
      if (end < 0) {
        if (received.length > 8192) fail("oversized answer");
        return;
      }
      const status = received.subarray(0, end).toString("latin1").split("\r\n")[0] ?? "";
      if (!status.startsWith("HTTP/1.1 101")) return fail(`refused (${status})`);
      cleanup();
      socket.pause();
      const rest = received.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      socket.on("error", () => {});
      resolve(socket);
    };
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    socket.on("end", onClose);
    socket.once(secure ? "secureConnect" : "connect", () => {
      const mac = macOf(options.key, options.selfId, options.remoteId, exporterOf(socket), options.token);
      socket.write(
        `GET ${LINK_DATA_PATH} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: ${DATA_UPGRADE}\r\n` +
          `${NODE_HEADER}: ${options.selfId}\r\n${TOKEN_HEADER}: ${options.token}\r\n${MAC_HEADER}: ${mac}\r\n\r\n`,
      );
    });
  });
}

/**
 * What a link data connection's request says, once its MAC is checked against the fleet key: the
 * dialling node and the token it presents; undefined when it is not authentic.
 */
export function verifyLinkData(
  request: IncomingMessage,
  key: Buffer,
  selfId: string,
): { readonly node: string; readonly token: string } | undefined {
  const node = request.headers[NODE_HEADER];
  const token = request.headers[TOKEN_HEADER];
  const mac = request.headers[MAC_HEADER];
  if (typeof node !== "string" || typeof token !== "string" || typeof mac !== "string") return undefined;
  if ((request.headers.upgrade ?? "").toLowerCase() !== DATA_UPGRADE) return undefined;
  const expected = Buffer.from(macOf(key, node, selfId, exporterOf(request.socket), token), "hex");
  const given = Buffer.from(mac, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  return { node, token };
}
