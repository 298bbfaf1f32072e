/**
 * The client: authenticate as a client and stay connected; every channel the relay opens (a viewer's
 * local connection) is dialled to the forwarded service (HOST:PORT on the target PC). A lost connection
 * is retried with exponential backoff and jitter; an authentication failure or an account manager's
 * disconnect is not, since retrying a wrong password only ends in a lockout; nor is a relay URL that
 * would carry the password over plain ws:// beyond loopback. A relay that drains (close 4010) has
 * already released the lease: the client is back within a quarter second, without the backoff.
 */
import { connect } from "node:net";
import { CloseCode } from "@tsunagi/core/wire";
import {
  AuthenticationError,
  assertSecureTransport,
  type CommonOptions,
  connectAndAuthenticate,
  InsecureTransportError,
  sessionDataOptions,
} from "./connection.js";
import { Backoff, drainDelay, isDrain, Pause, type ReconnectOptions } from "./reconnect.js";
import { runSession, type Session } from "./session.js";

export interface ClientOptions extends CommonOptions {
  /** The local service viewers reach (e.g. 127.0.0.1:3389). */
  readonly forward: { readonly host: string; readonly port: number };
  /** Backoff after a lost connection (500 ms doubling to 30 s); false: stop at the first loss. */
  readonly reconnect?: ReconnectOptions | false;
  readonly onNotice?: (text: string) => void;
  /** Each time a session opens (first connect and every reconnect). */
  readonly onConnected?: (sessionId: string) => void;
  /** Channels the relay may have open to this client at once (DEFAULT_MAX_CHANNELS). */
  readonly maxChannels?: number;
}

export interface Client {
  /** Resolves with the first session, or rejects with the first connection's error. */
  readonly ready: Promise<{ sessionId: string }>;
  /** Resolves when the client has stopped for good: why, and the error if it was one. */
  readonly stopped: Promise<{
    reason: "stopped" | "authentication" | "disconnected-by-admin" | "insecure" | "gave-up";
    error?: Error;
  }>;
  stop(): Promise<void>;
  /**
   * The current session's open channels, closed ones still writing out what the viewer sent, and the
   * bytes the local sockets hold unwritten (all zero when offline); and the channels sealed so far,
   * over every session.
   */
  stats(): { channels: number; draining: number; queuedBytes: number; sealed: number };
}

export function startClient(options: ClientOptions): Client {
  const notice = options.onNotice ?? (() => {});
  const retry = options.reconnect === false ? null : new Backoff(options.reconnect);
  const pause = new Pause();
  let stopping = false;
  let current: Session | undefined;
  // Channels whose end-to-end TLS came up, over every session of this client (stats()).
  let sealedChannels = 0;
  let markReady: (value: { sessionId: string }) => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<{ sessionId: string }>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  ready.catch(() => {});

  const stopped = (async () => {
    try {
      assertSecureTransport(options.server);
    } catch (error) {
      const err = error as Error;
      failReady(err);
      return { reason: "insecure" as const, error: err };
    }
    let first = true;
    while (!stopping) {
      let drained = false;
      try {
        const connected = await connectAndAuthenticate(options, { role: "client" });
        retry?.reset();
        const session = runSession(
          connected,
          {
            onOpen: (channelId, token, key) => {
              const socket = connect({
                host: options.forward.host,
                port: options.forward.port,
                allowHalfOpen: true,
              });
              // A token: the channel travels on a data connection (a parked one, or one dialled now).
              if (token && session.pool) {
                session.mux.splice(channelId, socket, session.pool.acquire(), { token, key, role: "client" });
              } else session.mux.attach(channelId, socket);
            },
            onChannelClosed: (id, reason) => {
              if (reason) notice(`connection ${id} closed: ${reason}`);
            },
            onSealed: () => {
              sealedChannels += 1;
            },
            onNotice: notice,
          },
          { maxChannels: options.maxChannels },
          undefined,
          sessionDataOptions(options, { role: "client" }),
        );
        current = session;
        // stop() came while this connection was being made: it has nothing to close but this.
        if (stopping) session.close();
        options.onConnected?.(connected.result.sessionId);
        if (first) markReady({ sessionId: connected.result.sessionId });
        first = false;
        const end = await session.closed;
        current = undefined;
        if (stopping) break;
        if (end.code === CloseCode.disconnectedByAdmin) {
          notice("disconnected by the account manager");
          return { reason: "disconnected-by-admin" as const };
        }
        drained = isDrain(end.code);
        notice(
          drained
            ? "the relay is draining (it released this session)"
            : `connection to the relay lost (${end.code}${end.reason ? ` ${end.reason}` : ""})`,
        );
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        if (first) failReady(err);
        if (error instanceof AuthenticationError) return { reason: "authentication" as const, error: err };
        if (error instanceof InsecureTransportError) return { reason: "insecure" as const, error: err };
        notice(err.message);
        if (first && !retry) return { reason: "gave-up" as const, error: err };
      }
      if (!retry || stopping) break;
      // A drain is no failure: the lease is already released, so the client comes straight back (to
      // another relay, through the load balancer), and the backoff is left where it was.
      const wait = drained ? drainDelay() : retry.next();
      notice(drained ? "reconnecting now" : `reconnecting in ${(wait / 1000).toFixed(1)} s`);
      await pause.wait(wait);
    }
    return { reason: "stopped" as const };
  })();

  return {
    ready,
    stopped,
    async stop() {
      stopping = true;
      pause.interrupt();
      const session = current;
      if (session) {
        session.close();
        await session.closed;
      }
      await stopped;
    },
    stats() {
      return current
        ? {
            channels: current.mux.channels.size + current.mux.spliced.size,
            draining: current.mux.drainingChannels,
            queuedBytes: current.mux.queuedBytes(),
            sealed: sealedChannels,
          }
        : { channels: 0, draining: 0, queuedBytes: 0, sealed: sealedChannels };
    },
  };
}
