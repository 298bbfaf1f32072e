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
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { DATA_UPGRADE } from "@tsunagi/core/wire";
import { dialUpgrade } from "@tsunagi/net/upgrade";

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
  return dialUpgrade({
    url: new URL(LINK_DATA_PATH, options.url),
    protocol: DATA_UPGRADE,
    // The MAC is bound to this TLS session (as the link's): the certificate is not what authenticates.
    headers: (socket) => ({
      [NODE_HEADER]: options.selfId,
      [TOKEN_HEADER]: options.token,
      [MAC_HEADER]: macOf(options.key, options.selfId, options.remoteId, exporterOf(socket), options.token),
    }),
    tls: { rejectUnauthorized: false },
    timeoutMs: DIAL_TIMEOUT_MS,
  }).catch((error: Error) => {
    throw new Error(`data connection to ${options.remoteId}: ${error.message}`);
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
