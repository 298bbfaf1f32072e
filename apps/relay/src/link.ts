/**
 * Links between the relays of one fleet (docs/protocol.md "Fleet"): when a viewer's client is held by
 * another relay, the relay holding the viewer dials the other's internal address and carries the
 * channel over that link. Each relay dials at most one link to each other node and uses it for its own
 * viewers' channels; the node that accepts a link pairs the channels opened on it with its clients.
 *
 * A link is a WebSocket to `/v1/link` on the internal listener, authenticated both ways before anything
 * else by an HMAC of fresh nonces under the fleet key (kept in the database, `fleetKey`), bound to the
 * TLS session when the internal listener speaks TLS: a peer that cannot show it learns nothing and can
 * open nothing. After that the link speaks the tunnel's own
 * language — binary frames with a 4-byte channel id, window updates, and `open` / `close` control
 * messages — so tunnel.ts forwards over it as over any connection, with the window enforced per hop.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Socket } from "node:net";
import { TLSSocket } from "node:tls";
import { DataToken, MAX_CONTROL_MESSAGE_BYTES } from "@tsunagi/core/wire";
import { clientLocation, type Database, loggableError } from "@tsunagi/db";
import { isSecureUrl, plainUrl } from "@tsunagi/net/upgrade";
import { type RawData, WebSocket } from "ws";
import { z } from "zod";
import { dialLinkData } from "./link-data.js";
import type { Log } from "./log.js";
import { Peer, type Peers } from "./peers.js";
import type { Located, Tunnel, Violation } from "./tunnel.js";

export const LINK_PATH = "/v1/link";
const LINK_LABEL = "tsunagi-link-v1";
/** A link must be authenticated within this time, or it is closed. */
const LINK_HANDSHAKE_MS = 10_000;

const nonce = z.string().regex(/^[A-Za-z0-9+/]{43}=$/, "nonce must be 32 bytes of base64");
const mac = z.string().regex(/^[0-9a-f]{64}$/, "mac must be 32 bytes of hex");
const nodeId = z.string().min(1).max(64);
const channelId = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

const LinkChallenge = z.object({ type: z.literal("challenge"), node: nodeId, nonce });
const LinkAuth = z.object({ type: z.literal("auth"), node: nodeId, nonce, mac });
const LinkReady = z.object({ type: z.literal("ready"), mac });
const LinkOpen = z.object({
  type: z.literal("open"),
  channelId,
  server: z.string().min(1).max(63),
  target: z.string().min(1).max(256),
  viewer: z.string().min(1).max(256),
  /** The viewer asked for a data connection: answered with `answer` (link-data.ts). */
  data: z.boolean().optional(),
  /** The asking relay seals its channels: the answer must carry a key (docs/protocol.md "Sealed channels"). */
  seal: z.boolean().optional(),
});
/** The accepting relay's answer to an `open` with `data`: with a token, dial a data connection presenting it. */
const LinkAnswer = z.object({
  type: z.literal("answer"),
  channelId,
  token: DataToken.optional(),
  /** The sealed channel's key, given to the viewer with its token. */
  key: DataToken.optional(),
});
const LinkClose = z.object({ type: z.literal("close"), channelId, reason: z.string().max(200).optional() });
const LinkControl = z.discriminatedUnion("type", [LinkOpen, LinkClose, LinkAnswer]);

const EXPORTER_LABEL = "EXPORTER-tsunagi-link";

/**
 * The TLS session's exporter value when the link runs over TLS (empty otherwise): both MACs cover it,
 * so a relay in between, holding two TLS sessions, cannot pass the proofs on. That is why the dialler
 * need not verify the certificate: the fleet key, bound to this TLS session, authenticates both ends.
 */
function exporterOf(socket: unknown): string {
  return socket instanceof TLSSocket
    ? socket.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0)).toString("hex")
    : "";
}

/**
 * The MAC one side shows: over its role, the other side's nonce, both node ids and the TLS session,
 * under the fleet key.
 */
function linkMac(
  key: Buffer,
  role: "dialer" | "acceptor",
  theirNonce: string,
  dialer: string,
  acceptor: string,
  exporter: string,
) {
  return createHmac("sha256", key)
    .update([LINK_LABEL, role, theirNonce, dialer, acceptor, exporter].join("\u0000"))
    .digest("hex");
}

function sameMac(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

function parseText(data: RawData): unknown {
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
  if (buf.length > MAX_CONTROL_MESSAGE_BYTES) return undefined;
  try {
    return JSON.parse(buf.toString("utf8"));
  } catch {
    return undefined;
  }
}

export interface LinksDeps {
  readonly selfId: string;
  readonly db: Database;
  readonly log: Log;
  readonly peers: Peers;
  readonly tunnel: Tunnel;
  /** The fleet key, read once from the database. */
  readonly key: () => Promise<Buffer>;
  readonly maxPayload: number;
  /** How often a link is pinged; a link that missed a pong is dropped. */
  readonly keepAliveMs: number;
}

export class Links {
  /** This relay's links to others, by node id: dialled once, shared by every viewer. */
  private readonly dialled = new Map<string, Promise<Peer>>();
  /** Every link up or being set up, either way: closed with the relay. */
  private readonly sockets = new Set<WebSocket>();
  private readonly linkPeers = new Set<Peer>();
  /** Where each node this relay dialled listens: its data connections go there too (link-data.ts). */
  private readonly urls = new Map<string, string>();
  private closed = false;

  constructor(private readonly deps: LinksDeps) {}

  /** Sockets of links: the relay's overflow rule is per agent, not per link (server.ts). */
  isLink(ws: WebSocket): boolean {
    return this.sockets.has(ws);
  }

  get size(): number {
    return this.linkPeers.size;
  }

  /** The relay holding `viewer`'s client, linked; or why the channel cannot be opened. */
  async locate(viewer: Peer): Promise<Located> {
    const notConnected = { refuse: `client ${viewer.target} is not connected` };
    const where = await clientLocation(this.deps.db, viewer.contractId, viewer.target);
    if (!where || where.relayInstance === this.deps.selfId) return notConnected;
    try {
      return { link: await this.to(where.relayInstance, where.internalUrl) };
    } catch (error) {
      this.deps.log({ event: "link-failed", node: where.relayInstance, error: (error as Error).message });
      return { refuse: `client ${viewer.target} is not reachable now` };
    }
  }

  /** The link to node `id` at `url`, dialled on first use and shared; a lost link is dialled again. */
  to(id: string, url: string): Promise<Peer> {
    const existing = this.dialled.get(id);
    if (existing) return existing;
    this.urls.set(id, url);
    const dialling = this.dial(id, url);
    this.dialled.set(id, dialling);
    dialling.then(
      (peer) => peer.ws.once("close", () => this.dialled.get(id) === dialling && this.dialled.delete(id)),
      () => this.dialled.delete(id),
    );
    return dialling;
  }

  private async dial(remoteId: string, url: string): Promise<Peer> {
    if (this.closed) throw new Error("the relay is closing");
    const key = await this.deps.key();
    const ws = new WebSocket(new URL(LINK_PATH, url), {
      perMessageDeflate: false,
      maxPayload: this.deps.maxPayload,
      handshakeTimeout: LINK_HANDSHAKE_MS,
      // The MACs are bound to this TLS session (exporterOf): the certificate is not what authenticates.
      rejectUnauthorized: false,
    });
    let exporter = "";
    ws.once("upgrade", (response) => {
      exporter = exporterOf(response.socket);
    });
    this.sockets.add(ws);
    ws.once("close", () => this.sockets.delete(ws));
    // Errors end in a close, which is handled; without a listener one would crash the relay.
    ws.on("error", () => {});
    const ownNonce = randomBytes(32).toString("base64");
    return new Promise<Peer>((resolve, reject) => {
      const timer = setTimeout(() => fail("the other relay did not authenticate in time"), LINK_HANDSHAKE_MS);
      let step: "challenge" | "ready" = "challenge";
      const fail = (why: string) => {
        clearTimeout(timer);
        ws.off("message", onMessage);
        ws.terminate();
        reject(new Error(`link to ${remoteId}: ${why}`));
      };
      const onMessage = (data: RawData, isBinary: boolean) => {
        const json = isBinary ? undefined : parseText(data);
        if (step === "challenge") {
          const challenge = LinkChallenge.safeParse(json);
          // Another node now answers at that address: the lease named a node that is gone.
          if (!challenge.success) return fail("expected a challenge");
          if (challenge.data.node !== remoteId)
            return fail(`the address is now node ${challenge.data.node}'s`);
          step = "ready";
          ws.send(
            JSON.stringify({
              type: "auth",
              node: this.deps.selfId,
              nonce: ownNonce,
              mac: linkMac(key, "dialer", challenge.data.nonce, this.deps.selfId, remoteId, exporter),
            }),
          );
          return;
        }
        const ready = LinkReady.safeParse(json);
        if (!ready.success) return fail("expected ready");
        const expected = linkMac(key, "acceptor", ownNonce, this.deps.selfId, remoteId, exporter);
        if (!sameMac(ready.data.mac, expected)) {
          return fail("the other relay does not hold the fleet key");
        }
        clearTimeout(timer);
        ws.off("message", onMessage);
        resolve(this.up(ws, remoteId, "dialled"));
      };
      ws.on("message", onMessage);
      ws.once("error", (error) => fail(error.message));
      ws.once("close", () => fail("closed during authentication"));
    });
  }

  /**
   * A data connection to the relay at the other end of a link this relay dialled, for one channel.
   * A sealed channel's goes in clear to a `wss://` internal URL's port (the relay there tells it from
   * TLS by its first byte), and by TLS if that fails (a relay that does not seal).
   */
  async dialData(link: Peer, token: string, sealed = false): Promise<Socket> {
    const url = this.urls.get(link.userName);
    if (!url || this.closed) throw new Error("no link to that relay");
    const dial = async (to: string) =>
      dialLinkData({
        url: to,
        selfId: this.deps.selfId,
        remoteId: link.userName,
        key: await this.deps.key(),
        token,
      });
    if (!sealed || !isSecureUrl(new URL(url))) return dial(url);
    return dial(plainUrl(new URL(url)).href).catch(() => dial(url));
  }

  /** A link another relay dialled (server.ts hands over the upgraded socket and the connection under it). */
  accept(ws: WebSocket, socket: Socket): void {
    const exporter = exporterOf(socket);
    if (this.closed) {
      ws.close(1001, "relay shutting down");
      return;
    }
    this.sockets.add(ws);
    ws.once("close", () => this.sockets.delete(ws));
    ws.on("error", () => {});
    const challenge = randomBytes(32).toString("base64");
    const timer = setTimeout(() => refuse("not authenticated in time"), LINK_HANDSHAKE_MS);
    const refuse = (why: string) => {
      clearTimeout(timer);
      this.deps.log({ event: "link-refused", detail: why });
      ws.terminate();
    };
    const onMessage = async (data: RawData, isBinary: boolean) => {
      ws.off("message", onMessage);
      const auth = LinkAuth.safeParse(isBinary ? undefined : parseText(data));
      if (!auth.success) return refuse("expected auth");
      try {
        const key = await this.deps.key();
        const expected = linkMac(key, "dialer", challenge, auth.data.node, this.deps.selfId, exporter);
        if (!sameMac(auth.data.mac, expected)) return refuse("wrong fleet key");
        clearTimeout(timer);
        ws.send(
          JSON.stringify({
            type: "ready",
            mac: linkMac(key, "acceptor", auth.data.nonce, auth.data.node, this.deps.selfId, exporter),
          }),
        );
        this.up(ws, auth.data.node, "accepted");
      } catch (error) {
        this.deps.log({ event: "database-error", during: "link", error: loggableError(error) });
        refuse("fleet key unavailable");
      }
    };
    ws.on("message", onMessage);
    ws.send(JSON.stringify({ type: "challenge", node: this.deps.selfId, nonce: challenge }));
  }

  /** An authenticated link at work: the tunnel's frames both ways, `open` only from the dialler. */
  private up(ws: WebSocket, remoteId: string, way: "dialled" | "accepted"): Peer {
    const { peers, tunnel, log } = this.deps;
    const link = new Peer(ws, "link", "", remoteId, "", "", new Set());
    this.linkPeers.add(link);
    log({ event: "link-up", node: remoteId, way });
    let alive = true;
    const keepAlive = setInterval(() => {
      if (!alive) {
        log({ event: "link-timeout", node: remoteId });
        ws.terminate();
        return;
      }
      alive = false;
      ws.ping();
    }, this.deps.keepAliveMs);
    keepAlive.unref();
    ws.on("pong", () => {
      alive = true;
    });
    const violated = (violation: Violation | undefined) => {
      if (!violation) return;
      log({ event: "link-protocol-error", node: remoteId, code: violation.code, detail: violation.detail });
      ws.close(1008, violation.code);
    };
    ws.on("message", (data: RawData, isBinary: boolean) => {
      alive = true;
      if (isBinary) {
        const buf = Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.isBuffer(data)
            ? data
            : Buffer.from(data);
        return violated(tunnel.onBinary(link, buf));
      }
      const parsed = LinkControl.safeParse(parseText(data));
      if (!parsed.success) return violated({ code: "malformed", detail: "link control message" });
      const message = parsed.data;
      if (message.type === "close") return tunnel.onClose(link, message.channelId, message.reason);
      if (message.type === "answer") {
        // Answers go to the relay that opened the channel: the dialler.
        if (way !== "dialled") return violated({ code: "malformed", detail: "answer on an accepted link" });
        return violated(tunnel.onLinkAnswer(link, message.channelId, message.token, message.key));
      }
      // Channels on a link are numbered by the relay that dialled it: an open the other way is a fault.
      if (way === "dialled") return violated({ code: "malformed", detail: "open on a dialled link" });
      return violated(tunnel.onLinkOpen(link, message.channelId, message));
    });
    ws.once("close", () => {
      clearInterval(keepAlive);
      this.linkPeers.delete(link);
      peers.remove(link);
      log({ event: "link-down", node: remoteId });
    });
    return link;
  }

  /** Closes every link; their channels end at both ends. */
  close(): void {
    this.closed = true;
    for (const ws of this.sockets) ws.close(1001, "relay shutting down");
    for (const ws of this.sockets) ws.terminate();
  }
}
