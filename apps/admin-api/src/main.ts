/** Starts the admin API: the platform database (external or embedded), then the HTTP server. */
import { serve } from "@hono/node-server";
import { connect, openPlatformDatabase } from "@tsunagi/db";
import { pino } from "pino";
import { createApp } from "./app.js";
import { readEnv } from "./env.js";

const env = readEnv();
const logger = pino({ level: env.LOG_LEVEL, base: { app: "admin-api" } });
const platform = await openPlatformDatabase({
  databaseUrl: env.DATABASE_URL,
  dataDir: env.TSUNAGI_DATA_DIR,
  log: (line) => logger.debug({ postgres: line }),
});
const { db, close } = connect(platform.url);
const app = createApp({ db, logger, config: { trustedProxies: env.TSUNAGI_TRUSTED_PROXIES } });
const server = serve({ fetch: app.fetch, port: env.PORT, hostname: env.HOST }, (info) => {
  logger.info(
    { url: `http://${info.address}:${info.port}`, docs: `http://${info.address}:${info.port}/docs` },
    "admin API listening",
  );
});

async function shutdown(signal: string) {
  logger.info({ signal }, "shutting down");
  server.close();
  await close();
  await platform.server.stop();
  process.exit(0);
}
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
