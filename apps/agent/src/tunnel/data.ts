/**
 * The agent's side of data connections (docs/protocol.md "Data connections"): a small pool of
 * connections parked at the relay (`GET /v1/data`, `Upgrade: tsunagi-data/1`, the session id and the
 * pool secret the result gave), each used for one channel by writing the channel's token as its first
 * bytes and then joining it to the local socket, refilled behind it. A new channel so costs no
 * connection, TLS handshake or upgrade of its own.
 *
 * Fallback (`auto`): when the upgrade is refused — a 4xx or 5xx, a reset or a close before the answer,
 * as a proxy that passes only WebSockets does — the session carries every channel on the multiplexed
 * path, as a relay without data connections would have it. `spliced` never falls back; `mux` never
 * dials.
 */
import { isIP, type Socket } from "node:net";
import {
  DATA_PATH,
  DATA_POOL_HEADER,
  DATA_SESSION_HEADER,
  DATA_TOKEN_BYTES,
  DATA_UPGRADE,
} from "@tsunagi/core/wire";
import { dialUpgrade, isSecureUrl, plainUrl, UpgradeRefusedError } from "@tsunagi/net/upgrade";

/** Which path channels take: decided per session (`auto`), or forced. */
export type DataPathMode = "auto" | "spliced" | "mux";
export const DATA_PATH_MODES: readonly DataPathMode[] = ["auto", "spliced", "mux"];

/** Parked data connections an agent keeps ready by default. */
export const DATA_POOL_SIZE = 2;

/** The relay (or something in between) would not upgrade to a data connection. */
export class DataRefusedError extends Error {
  override name = "DataRefusedError";
}

/** The data connection URL for a control URL: same origin and query (its routing key), `/v1/data`. */
export function dataUrl(controlUrl: string): URL {
  const url = new URL(controlUrl);
  url.pathname = url.pathname.endsWith("/v1/connect")
    ? `${url.pathname.slice(0, -"/v1/connect".length)}${DATA_PATH}`
    : DATA_PATH;
  return url;
}

export interface DataDialOptions {
  readonly url: URL;
  readonly sessionId: string;
  readonly pool: string;
  readonly ca?: string | Buffer;
  readonly headers?: Record<string, string>;
  readonly timeoutMs?: number;
}

/** Dials and upgrades one data connection; resolves once the relay answered 101 (it is then parked). */
export function dialData(options: DataDialOptions): Promise<Socket> {
  const host = options.url.hostname.replace(/^\[(.*)\]$/, "$1");
  return dialUpgrade({
    url: options.url,
    protocol: DATA_UPGRADE,
    headers: {
      ...options.headers,
      [DATA_SESSION_HEADER]: options.sessionId,
      [DATA_POOL_HEADER]: options.pool,
    },
    tls: { ca: options.ca, ...(isIP(host) ? {} : { servername: host }), ALPNProtocols: ["http/1.1"] },
    timeoutMs: options.timeoutMs ?? 15_000,
  }).catch((error: Error) => {
    throw error instanceof UpgradeRefusedError
      ? new DataRefusedError(`data ${error.message}`)
      : new Error(`data ${error.message}`);
  });
}

/** A plain dial to a sealing relay is answered at once or not at all: it gives up sooner than TLS. */
const PLAIN_DIAL_MS = 3_000;
/**
 * Hosts (with port) of sealing relays whose plain data connections did not get through where TLS ones
 * then did, and when: this process's later sessions dial TLS there at once, for `TLS_ONLY_MS`, then
 * try plain again (a blip, a network changed).
 */
const tlsOnly = new Map<string, number>();
const TLS_ONLY_MS = 60 * 60 * 1000;

/**
 * Data connections dialled as plain TCP to a TLS relay (a sealing one): they may carry only sealed
 * channels, whatever a relay's `open` says (mux.ts refuses a token without a key on them).
 */
export const plainToTlsRelay = new WeakSet<Socket>();

/** The token's bytes as a data connection presents them. */
export function tokenBytes(token: string): Buffer {
  const bytes = Buffer.from(token, "base64url");
  if (bytes.length !== DATA_TOKEN_BYTES) throw new Error("a data token is 32 bytes");
  return bytes;
}

export interface DataPoolOptions extends Omit<DataDialOptions, "timeoutMs"> {
  readonly mode: DataPathMode;
  /**
   * The relay seals spliced channels end to end (its result's `data.sealed`): data connections to a
   * wss:// relay are dialled as plain TCP first, TLS being the channel's own (docs/protocol.md "Sealed
   * channels"), and as TLS once plain ones do not get through (a TLS-only proxy in between).
   */
  readonly sealed?: boolean;
  readonly size?: number;
  readonly onNotice?: (text: string) => void;
}

/** A session's parked data connections. */
export class DataPool {
  private readonly ready: Socket[] = [];
  /** Parked sockets' watchers (`watch`): parked, the relay's FIN means the connection is gone. */
  private readonly ends = new Map<Socket, () => void>();
  private dialling = 0;
  /** `refused`: the upgrade was refused; in `auto` mode the session stays on the multiplexed path. */
  state: "unknown" | "ok" | "refused" = "unknown";
  private closed = false;
  private readonly size: number;
  /** Dials that failed in a row: in `spliced` mode the pool stops refilling by itself after a few. */
  private failures = 0;

  /** Dialling plain TCP to a wss:// relay (`sealed`), until that fails before any succeeded. */
  private plain: boolean;

  constructor(private readonly options: DataPoolOptions) {
    this.size = options.size ?? DATA_POOL_SIZE;
    const since = tlsOnly.get(options.url.host);
    const pinned = since !== undefined && Date.now() - since < TLS_ONLY_MS;
    this.plain = options.sealed === true && isSecureUrl(options.url) && !pinned;
  }

  /** Whether channels of this session may ask for data connections at all. */
  get usable(): boolean {
    if (this.closed || this.options.mode === "mux") return false;
    return this.options.mode === "spliced" || this.state !== "refused";
  }

  get mode(): DataPathMode {
    return this.options.mode;
  }

  /** Parked and ready now. */
  get available(): number {
    return this.ready.length;
  }

  start(): void {
    this.fill();
  }

  private fill(): void {
    while (this.usable && this.failures < 3 && this.ready.length + this.dialling < this.size) {
      this.dialling += 1;
      this.dial().then(
        (socket) => {
          this.dialling -= 1;
          this.park(socket);
        },
        () => {
          this.dialling -= 1;
        },
      );
    }
  }

  private dial(): Promise<Socket> {
    const plain = this.plain;
    const target = plain
      ? { ...this.options, url: plainUrl(this.options.url), timeoutMs: PLAIN_DIAL_MS }
      : this.options;
    return dialData(target).then(
      (socket) => {
        if (plain) plainToTlsRelay.add(socket);
        this.failures = 0;
        this.state = "ok";
        return socket;
      },
      (error: Error) => {
        if (plain && this.state === "unknown") {
          // Reset, closed, unanswered or refused (by the relay or by something in between that takes
          // only TLS: a 403 does not say which): TLS is tried. The channels are sealed all the same.
          // Every plain dial under way then tries again with TLS and the first says so; if TLS gets
          // through, this process's later sessions to that host dial TLS at once for a while.
          if (this.plain) this.options.onNotice?.(`plain ${error.message}; data connections use TLS`);
          this.plain = false;
          return this.dial().then((socket) => {
            tlsOnly.set(this.options.url.host, Date.now());
            return socket;
          });
        }
        this.failures += 1;
        if (error instanceof DataRefusedError && this.state === "unknown") {
          this.state = "refused";
          if (this.options.mode === "auto") {
            this.options.onNotice?.(`${error.message}; channels use the multiplexed path`);
          }
        }
        throw error;
      },
    );
  }

  private park(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.ready.push(socket);
    this.watch(socket);
    // The relay or something in between closed it while parked: another takes its place.
    socket.once("close", () => {
      const at = this.ready.indexOf(socket);
      if (at < 0) return;
      this.ready.splice(at, 1);
      this.fill();
    });
  }

  /** A parked connection for a new channel, if one is ready; the pool refills behind it. */
  take(): Socket | undefined {
    let socket = this.ready.shift();
    while (socket?.destroyed) socket = this.ready.shift();
    if (socket) this.unpark(socket);
    this.fill();
    return socket;
  }

  /**
   * While parked a connection is read, so that the relay's FIN (or a balancer's idle timeout) is
   * seen and the connection replaced; the relay sends nothing on a parked connection, so any byte is
   * a fault and ends it too.
   */
  private watch(socket: Socket): void {
    const gone = () => socket.destroy();
    this.ends.set(socket, gone);
    socket.once("end", gone);
    socket.once("data", gone);
    socket.resume();
  }

  private unpark(socket: Socket): void {
    const gone = this.ends.get(socket);
    if (gone) {
      socket.off("end", gone);
      socket.off("data", gone);
    }
    this.ends.delete(socket);
    socket.pause();
  }

  /** A parked connection, or a new one when none is ready (the client answering the relay's `open`). */
  acquire(): Promise<Socket> {
    const ready = this.take();
    if (ready) return Promise.resolve(ready);
    if (this.closed) return Promise.reject(new Error("the session ended"));
    this.failures = 0;
    return this.dial();
  }

  /** A taken connection not used after all (the relay answered: multiplexed) goes back to the pool. */
  giveBack(socket: Socket): void {
    if (socket.destroyed) return;
    if (this.closed || this.ready.length >= this.size) socket.destroy();
    else {
      this.ready.unshift(socket);
      this.watch(socket);
    }
  }

  close(): void {
    this.closed = true;
    for (const socket of this.ready) socket.destroy();
    this.ready.length = 0;
  }
}
