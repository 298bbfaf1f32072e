/**
 * The viewer: authenticate as a viewer, then listen on a local port; every TCP connection accepted
 * there becomes a channel through the relay to the target client (by default the client of the same
 * user name), which connects it to its forwarded service.
 *
 * A lost relay connection is retried as the client retries it (backoff with jitter; at once after a
 * drain, close 4010), never after an authentication failure or an account manager's disconnect. The
 * local listener stays through it, on the same port, so the person's program keeps its address: a
 * connection accepted while offline waits, paused, for the next session (at most `maxChannels` of them,
 * each at most `offlineWaitMs`), then becomes a channel like any other.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { Edition, Product } from "@tsunagi/core/domain";
import { DEFAULT_MAX_CHANNELS } from "@tsunagi/core/frames";
import { CloseCode } from "@tsunagi/core/wire";
import {
  AuthenticationError,
  type CommonOptions,
  type Connected,
  connectAndAuthenticate,
  type Program,
  sessionDataOptions,
} from "./connection.js";
import { type LoadedIdentity, loadOrCreateIdentity } from "./identity.js";
import { Backoff, drainDelay, isDrain, Pause, type ReconnectOptions } from "./reconnect.js";
import { runSession, type Session, type SessionEnd } from "./session.js";

/** How long a local connection accepted while the relay is away waits for it by default. */
export const OFFLINE_WAIT_MS = 30_000;

export interface ViewerOptions extends CommonOptions {
  readonly product: Product;
  readonly edition?: Edition;
  /** The client user name to reach; the viewer's own by default. */
  readonly target?: string;
  readonly usbKeySerial?: string;
  /** Where to accept local connections; port 0 picks one. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The device identity file; needed by terminal-auth and mobile products. */
  readonly identityFile?: string;
  /** Simulate another machine or OS user (tests). */
  readonly machineId?: string;
  readonly osUser?: string;
  readonly onNotice?: (text: string) => void;
  /** Each time a session opens (the first connect and every reconnect). */
  readonly onConnected?: (sessionId: string) => void;
  /** Local connections carried at once; more are refused (DEFAULT_MAX_CHANNELS, the relay's default cap). */
  readonly maxChannels?: number;
  /** Backoff after a lost connection (500 ms doubling to 30 s); false: stop at the first loss. */
  readonly reconnect?: ReconnectOptions | false;
  /** How long a local connection accepted while offline waits for the session (OFFLINE_WAIT_MS). */
  readonly offlineWaitMs?: number;
}

/** Why the viewer stopped for good. */
export type ViewerStop =
  /** close() */
  | "closed"
  /** The account manager disconnected it (4003). */
  | "disconnected-by-admin"
  /** A reconnect was refused; `error` is what the person is told (the reference code). */
  | "authentication"
  /** The connection ended and `reconnect` is false. */
  | "connection-lost";

/** The end of the viewer: the last relay connection's close, and why the viewer did not go on. */
export interface ViewerEnd extends SessionEnd {
  readonly why: ViewerStop;
  readonly error?: Error;
}

export interface Viewer {
  /** The current session's id (the last one's while offline). */
  readonly sessionId: string;
  /** The clients the current session may reach (fixed at each login). */
  readonly reachableClients: readonly string[];
  readonly identity: LoadedIdentity | undefined;
  /** The local address connections are accepted on; the same across reconnections. */
  readonly listening: { readonly host: string; readonly port: number };
  /** Whether a session is open now. */
  readonly connected: boolean;
  /** Resolves once the viewer has stopped for good (close(), 4003, a refused reconnect), with why. */
  readonly closed: Promise<ViewerEnd>;
  close(): Promise<void>;
  /**
   * Channels open, closed ones still writing out, the bytes the local sockets hold unwritten, and
   * local connections waiting for the relay to be back; and the channels sealed so far, over every
   * session.
   */
  stats(): { channels: number; draining: number; queuedBytes: number; waiting: number; sealed: number };
}

/** A local connection accepted while offline, paused until the next session. */
interface Waiting {
  readonly socket: Socket;
  readonly timer: NodeJS.Timeout;
  readonly forget: () => void;
}

/** Authenticates and starts listening; rejects with AuthenticationError as the person would see it. */
export async function startViewer(options: ViewerOptions): Promise<Viewer> {
  const identity = options.identityFile
    ? await loadOrCreateIdentity(options.identityFile, {
        machineId: options.machineId,
        osUser: options.osUser,
      })
    : undefined;
  const program: Program = {
    role: "viewer",
    product: options.product,
    edition: options.edition,
    target: options.target,
    usbKeySerial: options.usbKeySerial,
    identity,
  };
  const first = await connectAndAuthenticate(options, program);
  const notice = options.onNotice ?? (() => {});
  const target = options.target ?? options.user;
  const maxChannels = options.maxChannels ?? DEFAULT_MAX_CHANNELS;
  const offlineWaitMs = options.offlineWaitMs ?? OFFLINE_WAIT_MS;
  const retry = options.reconnect === false ? null : new Backoff(options.reconnect);
  const pause = new Pause();
  const waiting = new Set<Waiting>();

  let current: Session | undefined;
  // Channels whose end-to-end TLS came up, over every session of this viewer (stats()).
  let sealedChannels = 0;
  let sessionId = first.result.sessionId;
  let reachableClients: readonly string[] = [];
  let stopping = false;
  let finished = false;
  let resolveClosed: (end: ViewerEnd) => void = () => {};
  const closed = new Promise<ViewerEnd>((resolve) => {
    resolveClosed = resolve;
  });

  const carry = (session: Session, socket: Socket) => {
    // A parked data connection ready: the relay is asked to splice the channel (its answer says
    // whether it does); none ready, or the session on the multiplexed path: multiplexed at once.
    const pool = session.pool;
    const data = pool?.usable ? pool.take() : undefined;
    if (!data && pool?.mode === "spliced") {
      // Forced: the channel waits for a data connection rather than take the multiplexed path.
      pool.acquire().then(
        (conn) => {
          if (current !== session || socket.destroyed) {
            conn.destroy();
            socket.destroy();
            return;
          }
          if (session.mux.open(socket, { socket: conn, giveBack: (c) => pool.giveBack(c) }) === undefined) {
            pool.giveBack(conn);
            notice(`refusing a local connection: ${session.mux.maxChannels} are open`);
            socket.destroy();
          }
        },
        (error: Error) => {
          notice(`closing a local connection: no data connection (${error.message})`);
          socket.destroy();
        },
      );
      return;
    }
    const opened = session.mux.open(
      socket,
      data && pool ? { socket: data, giveBack: (conn) => pool.giveBack(conn) } : undefined,
    );
    if (opened === undefined) {
      if (data) pool?.giveBack(data);
      notice(`refusing a local connection: ${session.mux.maxChannels} are open`);
      socket.destroy();
    }
  };

  const open = (connected: Connected): Session => {
    const session = runSession(
      connected,
      {
        onChannelClosed: (id, reason) => {
          if (reason) notice(`connection ${id} closed: ${reason}`);
        },
        onSealed: () => {
          sealedChannels += 1;
        },
        onNotice: notice,
      },
      { maxChannels },
      undefined,
      sessionDataOptions(options, program),
    );
    current = session;
    sessionId = connected.result.sessionId;
    reachableClients = connected.result.reachableClients ?? [];
    if (connected.result.reachableClients && !reachableClients.includes(target)) {
      notice(`client ${target} is not reachable from this user (reachable: ${reachableClients.join(", ")})`);
    }
    options.onConnected?.(sessionId);
    // Those that waited go first, in the order they came.
    for (const entry of [...waiting]) {
      entry.forget();
      carry(session, entry.socket);
    }
    return session;
  };

  const finish = (end: ViewerEnd) => {
    if (finished) return;
    finished = true;
    stopping = true;
    pause.interrupt();
    server.close();
    if (waiting.size > 0) notice(`closing ${waiting.size} local connection(s) that waited for the relay`);
    for (const entry of [...waiting]) {
      entry.forget();
      entry.socket.destroy();
    }
    resolveClosed(end);
  };

  const wait = (socket: Socket) => {
    if (waiting.size >= maxChannels) {
      notice(`refusing a local connection: ${maxChannels} already wait for the relay`);
      socket.destroy();
      return;
    }
    const forget = () => {
      clearTimeout(timer);
      socket.off("close", forget);
      waiting.delete(entry);
    };
    const timer = setTimeout(() => {
      forget();
      notice(`closing a local connection: the relay was not back within ${offlineWaitMs / 1000} s`);
      socket.destroy();
    }, offlineWaitMs);
    const entry: Waiting = { socket, timer, forget };
    waiting.add(entry);
    socket.on("error", () => {});
    socket.once("close", forget);
  };

  const session = open(first);
  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket: Socket) => {
    if (finished) {
      socket.destroy();
      return;
    }
    if (current) carry(current, socket);
    else wait(socket);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.listen.port, options.listen.host, () => resolve());
    });
  } catch (error) {
    session.close();
    throw error;
  }
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.listen.port;

  /** Reconnects until a session opens (returns it) or the viewer stops for good (returns undefined). */
  const reconnect = async (after: SessionEnd, backoff: Backoff): Promise<Session | undefined> => {
    let drained = isDrain(after.code);
    for (;;) {
      // A drain is no failure: the lease is already released, so the viewer comes straight back.
      const delay = drained ? drainDelay() : backoff.next();
      notice(drained ? "reconnecting now" : `reconnecting in ${(delay / 1000).toFixed(1)} s`);
      await pause.wait(delay);
      if (stopping) return undefined;
      try {
        const connected = await connectAndAuthenticate(options, program);
        if (stopping) {
          connected.ws.close(CloseCode.normal, "closed by the agent");
          return undefined;
        }
        backoff.reset();
        return open(connected);
      } catch (error) {
        if (stopping) return undefined;
        const err = error instanceof Error ? error : new Error(String(error));
        if (error instanceof AuthenticationError) {
          // Retrying a refused password only ends in a lockout.
          notice(err.message);
          finish({ code: CloseCode.authenticationFailed, reason: "", why: "authentication", error: err });
          return undefined;
        }
        notice(err.message);
        drained = false;
      }
    }
  };

  void (async () => {
    let live: Session | undefined = session;
    while (live) {
      const end = await live.closed;
      current = undefined;
      if (stopping) return finish({ ...end, why: "closed" });
      if (end.code === CloseCode.disconnectedByAdmin) {
        notice("disconnected by the account manager");
        return finish({ ...end, why: "disconnected-by-admin" });
      }
      if (!retry) return finish({ ...end, why: "connection-lost" });
      notice(
        isDrain(end.code)
          ? "the relay is draining (it released this session)"
          : `connection to the relay lost (${end.code}${end.reason ? ` ${end.reason}` : ""})`,
      );
      live = await reconnect(end, retry);
    }
    finish({ code: CloseCode.normal, reason: "closed by the agent", why: "closed" });
  })();

  return {
    get sessionId() {
      return sessionId;
    },
    get reachableClients() {
      return reachableClients;
    },
    identity,
    listening: { host: options.listen.host, port },
    get connected() {
      return current !== undefined;
    },
    closed,
    async close() {
      stopping = true;
      pause.interrupt();
      server.close();
      const live = current;
      if (live) {
        live.close();
        await live.closed;
      } else {
        finish({ code: CloseCode.normal, reason: "closed by the agent", why: "closed" });
      }
      await closed;
    },
    stats: () => ({
      channels: (current?.mux.channels.size ?? 0) + (current?.mux.spliced.size ?? 0),
      draining: current?.mux.drainingChannels ?? 0,
      queuedBytes: current?.mux.queuedBytes() ?? 0,
      waiting: waiting.size,
      sealed: sealedChannels,
    }),
  };
}
