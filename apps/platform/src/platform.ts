/**
 * `startPlatform`: the whole platform as one handle. Opens the database (embedded unless a URL is
 * given), migrates, loads the demo on first run, then starts the relay and the admin API through
 * their own `startRelay` / `startAdminApi`, so they run here exactly as in their own processes.
 */
import { createServer } from "node:net";
import type { Writable } from "node:stream";
import {
  ADMIN_API_DEFAULTS,
  type RunningAdminApi,
  type StartAdminApiConfig,
  startAdminApi,
} from "@tsunagi/admin-api/start";
import { connect, schema } from "@tsunagi/db";
import { openPlatformDatabase } from "@tsunagi/db/server";
import { seedDemo } from "@tsunagi/fixtures";
import { RELAY_DEFAULTS, type RunningRelay, type StartRelayConfig, startRelay } from "@tsunagi/relay/start";
import { type Level, pino } from "pino";

/** A failure the person starting the platform can act on: printed as one line, no stack trace. */
export class StartError extends Error {
  override name = "StartError";
}

export interface PlatformOptions {
  /** An external PostgreSQL; without it the embedded server keeps its data in `dataDir`. */
  readonly databaseUrl?: string | undefined;
  readonly dataDir?: string | undefined;
  /** The address both servers bind to (the relay's and the admin API's default, 127.0.0.1). */
  readonly host?: string | undefined;
  /** RELAY_DEFAULTS.port unless given; 0 picks a free one. */
  readonly relayPort?: number | undefined;
  /** ADMIN_API_DEFAULTS.port unless given; 0 picks a free one. */
  readonly apiPort?: number | undefined;
  /** The relay's TLS and tunables (trusted proxies, heartbeat, channels…), as its own process reads them. */
  readonly relay?: Pick<StartRelayConfig, "tls" | "config">;
  /** The admin API's configuration (trusted proxies, limits…). */
  readonly adminApi?: Pick<StartAdminApiConfig, "config">;
  /** Where both servers' logs go, one JSON object per line, each naming its app. */
  readonly logStream: Writable;
  /** The admin API's log level (info). */
  readonly logLevel?: Level | "silent";
  /** Progress lines for the person starting it ("first run, loading the demo"). */
  readonly say?: (line: string) => void;
}

export interface Platform {
  readonly relay: RunningRelay;
  readonly adminApi: RunningAdminApi;
  /** Stops the admin API and the relay, disconnects, and stops an embedded database. */
  close(): Promise<void>;
}

/** Checks a port before anything binds it, so a taken port is named plainly rather than by a stack. */
function ensureFree(host: string, port: number, what: "relay" | "api"): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new StartError(
          error.code === "EADDRINUSE"
            ? `port ${port} on ${host} is taken (is Tsunagi already running?): choose another with --${what}-port`
            : `cannot listen on ${host}:${port} for the ${what}: ${error.message}`,
        ),
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const host = options.host ?? RELAY_DEFAULTS.host;
  const relayPort = options.relayPort ?? RELAY_DEFAULTS.port;
  const apiPort = options.apiPort ?? ADMIN_API_DEFAULTS.port;
  const say = options.say ?? (() => {});
  await ensureFree(host, relayPort, "relay");
  await ensureFree(host, apiPort, "api");

  say(
    options.databaseUrl
      ? "tsunagi: using DATABASE_URL"
      : `tsunagi: starting the embedded database in ${options.dataDir}`,
  );
  const database = await openPlatformDatabase({ databaseUrl: options.databaseUrl, dataDir: options.dataDir });
  const { db, close: disconnect } = connect(database.url);
  // Undone in reverse on close, or on a failure part-way through start-up.
  const stops: (() => Promise<void>)[] = [() => database.server.stop(), disconnect];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const [anyContract] = await db.select({ id: schema.contracts.id }).from(schema.contracts).limit(1);
    if (!anyContract) {
      say("tsunagi: first run, loading the demo");
      await seedDemo(db);
    }
    const { logStream } = options;
    const relay = await startRelay({
      database: db,
      host,
      port: relayPort,
      ...options.relay,
      log: (entry) =>
        logStream.write(`${JSON.stringify({ at: new Date().toISOString(), app: "relay", ...entry })}\n`),
      warn: (message) => say(`tsunagi: relay: ${message}`),
    });
    stops.push(() => relay.close());
    const adminApi = await startAdminApi({
      database: db,
      host,
      port: apiPort,
      ...options.adminApi,
      logger: pino({ level: options.logLevel ?? "info", base: { app: "admin-api" } }, logStream),
    });
    stops.push(() => adminApi.close());
    return { relay, adminApi, close: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
