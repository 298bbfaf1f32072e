/**
 * `startRelay`: the relay as a running server from one configuration, with the one set of defaults.
 * Its own process (`main.ts`) and the platform launcher (`apps/platform`) both start it here.
 */
import { readFile } from "node:fs/promises";
import { connect, type Database } from "@tsunagi/db";
import type { RelayConfig } from "./config.js";
import type { RelaySettingsEnv } from "./env.js";
import { jsonLog, type Log } from "./log.js";
import { createRelay, type Relay, type RelayDeps } from "./server.js";

/** Where the relay listens unless told otherwise (README "Configuration"). */
export const RELAY_DEFAULTS = { host: "127.0.0.1", port: 7410, internalPort: 7411 } as const;

export interface StartRelayConfig {
  /**
   * The platform database: an open connection (its owner closes it), or a postgres:// URL that the
   * relay connects to and disconnects from on `close()`.
   */
  readonly database: Database | string;
  /** RELAY_DEFAULTS.host unless given. */
  readonly host?: string | undefined;
  /** RELAY_DEFAULTS.port unless given; 0 picks a free one. */
  readonly port?: number | undefined;
  /** PEM certificate and key: the relay serves wss:// itself. */
  readonly tls?: RelayDeps["tls"];
  /** JSON lines on stderr unless given. */
  readonly log?: Log;
  /** Trusted proxies, the stale window, the heartbeat, channels and limits; config.ts has the defaults. */
  readonly config?: Partial<RelayConfig>;
  /** Data connections' options (data.ts); sealing defaults to on with `tls`. */
  readonly data?: RelayDeps["data"];
  /**
   * Where other relays link to this one: the host (this relay's host unless given), the port
   * (RELAY_DEFAULTS.internalPort, or a free one when `port` is 0) and the URL they dial.
   */
  readonly internal?: { readonly host?: string; readonly port?: number; readonly url?: string };
  /** Where a warning for the operator goes (plain ws:// beyond loopback); stderr unless given. */
  readonly warn?: (message: string) => void;
}

/** A listening relay. */
export interface RunningRelay {
  readonly relay: Relay;
  /** ws://host:port or wss://host:port, with the port actually bound. */
  readonly url: string;
  /** Where the other relays of the fleet dial this one. */
  readonly internalUrl: string;
  readonly host: string;
  readonly port: number;
  /** Ends every connection and its session, stops listening, and disconnects a database it opened. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

export async function startRelay(config: StartRelayConfig): Promise<RunningRelay> {
  const host = config.host ?? RELAY_DEFAULTS.host;
  const port = config.port ?? RELAY_DEFAULTS.port;
  const own = typeof config.database === "string" ? connect(config.database) : undefined;
  const db = own?.db ?? (config.database as Database);
  try {
    const relay = createRelay({
      db,
      ...(config.tls ? { tls: config.tls } : {}),
      log: config.log ?? jsonLog,
      ...(config.config ? { config: config.config } : {}),
      ...(config.data ? { data: config.data } : {}),
      internal: {
        ...config.internal,
        port: config.internal?.port ?? (port === 0 ? 0 : RELAY_DEFAULTS.internalPort),
      },
    });
    const bound = await relay.listen(port, host).catch(async (error: unknown) => {
      await relay.close();
      throw error;
    });
    if (!config.tls && !LOOPBACK.has(host)) {
      (config.warn ?? ((message) => process.stderr.write(`tsunagi relay: ${message}\n`)))(
        "serving plain ws:// beyond loopback; put it behind a TLS proxy or set TSUNAGI_TLS_CERT/KEY",
      );
    }
    return {
      relay,
      url: bound.url,
      internalUrl: bound.internalUrl,
      host,
      port: bound.port,
      async close() {
        await relay.close();
        await own?.close();
      },
    };
  } catch (error) {
    await own?.close();
    throw error;
  }
}

/**
 * The relay's settings from its environment as `startRelay` takes them (the TLS files read), for
 * every process that starts a relay: its own and the platform launcher.
 */
export async function relaySettings(
  env: RelaySettingsEnv,
): Promise<Pick<StartRelayConfig, "tls" | "config" | "internal" | "data">> {
  const tls =
    env.TSUNAGI_TLS_CERT && env.TSUNAGI_TLS_KEY
      ? { cert: await readFile(env.TSUNAGI_TLS_CERT), key: await readFile(env.TSUNAGI_TLS_KEY) }
      : undefined;
  const internal = {
    ...(env.TSUNAGI_INTERNAL_HOST ? { host: env.TSUNAGI_INTERNAL_HOST } : {}),
    ...(env.TSUNAGI_INTERNAL_PORT !== undefined ? { port: env.TSUNAGI_INTERNAL_PORT } : {}),
    ...(env.TSUNAGI_INTERNAL_URL ? { url: env.TSUNAGI_INTERNAL_URL } : {}),
  };
  return {
    ...(tls ? { tls } : {}),
    internal,
    ...(env.TSUNAGI_SEALED_CHANNELS ? { data: { sealed: env.TSUNAGI_SEALED_CHANNELS === "1" } } : {}),
    config: {
      trustedProxies: env.TSUNAGI_TRUSTED_PROXIES,
      proxyProtocol: env.TSUNAGI_PROXY_PROTOCOL === "1",
      ...(env.TSUNAGI_STALE_AFTER_SECONDS ? { staleAfterSeconds: env.TSUNAGI_STALE_AFTER_SECONDS } : {}),
      ...(env.TSUNAGI_HEARTBEAT_SECONDS ? { heartbeatIntervalMs: env.TSUNAGI_HEARTBEAT_SECONDS * 1000 } : {}),
      ...(env.TSUNAGI_MAX_CHANNELS ? { maxChannelsPerSession: env.TSUNAGI_MAX_CHANNELS } : {}),
      ...(env.TSUNAGI_METRICS_ALLOWED.length > 0 ? { metricsAllowed: env.TSUNAGI_METRICS_ALLOWED } : {}),
      ...(env.TSUNAGI_DRAIN_SECONDS ? { drainDeadlineMs: env.TSUNAGI_DRAIN_SECONDS * 1000 } : {}),
    },
  };
}

export { type RelaySettingsEnv, readSettingsEnv as readRelaySettingsEnv } from "./env.js";
