/**
 * `startAdminApi`: the admin API as a running HTTP server from one configuration, with the one set
 * of defaults. Its own process (`main.ts`) and the platform launcher (`apps/platform`) both start it here.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { connect, type Database, loggableError, startHistoryMaintenance } from "@tsunagi/db";
import type { Logger } from "pino";
import { createApp } from "./app.js";
import type { AdminApiConfig } from "./context.js";
import type { SettingsEnv } from "./env.js";

/** Where the admin API listens unless told otherwise (README "Configuration"). */
export const ADMIN_API_DEFAULTS = { host: "127.0.0.1", port: 7420 } as const;

export interface StartAdminApiConfig {
  /**
   * The platform database: an open connection (its owner closes it), or a postgres:// URL that the
   * admin API connects to and disconnects from on `close()`.
   */
  readonly database: Database | string;
  /** ADMIN_API_DEFAULTS.host unless given. */
  readonly host?: string | undefined;
  /** ADMIN_API_DEFAULTS.port unless given; 0 picks a free one. */
  readonly port?: number | undefined;
  /** One line per request; silent unless given. */
  readonly logger?: Logger;
  /** Trusted proxies, session lifetime, login limits, body limits; context.ts has the defaults. */
  readonly config?: AdminApiConfig;
  /**
   * The history's partition maintenance (months made ahead, retention), a pass at start and hourly
   * (docs/architecture.md, "History at scale"); on unless false.
   */
  readonly historyMaintenance?: boolean;
}

/** A listening admin API. */
export interface RunningAdminApi {
  /** http://host:port with the port actually bound; the reference page is at `${url}/docs`. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening, drops open connections, and disconnects a database it opened. */
  close(): Promise<void>;
}

export async function startAdminApi(config: StartAdminApiConfig): Promise<RunningAdminApi> {
  const host = config.host ?? ADMIN_API_DEFAULTS.host;
  const own = typeof config.database === "string" ? connect(config.database) : undefined;
  const db = own?.db ?? (config.database as Database);
  const app = createApp({
    db,
    ...(config.logger ? { logger: config.logger } : {}),
    config: config.config ?? {},
  });
  const maintenance =
    config.historyMaintenance === false
      ? undefined
      : startHistoryMaintenance(db, {
          onError: (error) =>
            config.logger?.error({ err: loggableError(error) }, "history maintenance failed"),
        });
  try {
    const { server, address } = await new Promise<{ server: ReturnType<typeof serve>; address: AddressInfo }>(
      (resolve, reject) => {
        const server = serve(
          { fetch: app.fetch, port: config.port ?? ADMIN_API_DEFAULTS.port, hostname: host },
          (info) => {
            server.off("error", reject);
            resolve({ server, address: info });
          },
        );
        server.once("error", reject);
      },
    );
    const hostText = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return {
      url: `http://${hostText}:${address.port}`,
      host,
      port: address.port,
      async close() {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          if ("closeAllConnections" in server) server.closeAllConnections();
        });
        await maintenance?.stop();
        await own?.close();
      },
    };
  } catch (error) {
    await maintenance?.stop();
    await own?.close();
    throw error;
  }
}

/** The admin API's settings from its environment as `startAdminApi` takes them. */
export function adminApiSettings(env: SettingsEnv): Pick<StartAdminApiConfig, "config"> {
  return {
    config: {
      trustedProxies: env.TSUNAGI_TRUSTED_PROXIES,
      ...(env.TSUNAGI_METRICS_ALLOWED.length > 0 ? { metricsAllowed: env.TSUNAGI_METRICS_ALLOWED } : {}),
    },
  };
}

export {
  readSettingsEnv as readAdminApiSettingsEnv,
  type SettingsEnv as AdminApiSettingsEnv,
} from "./env.js";
