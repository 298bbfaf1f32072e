/** Starts the admin API: the platform database (external or embedded), then the HTTP server. */
import { openPlatformDatabase } from "@tsunagi/db/server";
import { pino } from "pino";
import { readEnv } from "./env.js";
import { adminApiSettings, startAdminApi } from "./start.js";

const env = readEnv();
const logger = pino({ level: env.LOG_LEVEL, base: { app: "admin-api" } });
const platform = await openPlatformDatabase({
  databaseUrl: env.DATABASE_URL,
  dataDir: env.TSUNAGI_DATA_DIR,
  log: (line) => logger.debug({ postgres: line }),
});
const api = await startAdminApi({
  database: platform.url,
  host: env.HOST,
  port: env.PORT,
  logger,
  ...adminApiSettings(env),
}).catch(async (error: unknown) => {
  await platform.server.stop();
  throw error;
});
logger.info({ url: api.url, docs: `${api.url}/docs` }, "admin API listening");

async function shutdown(signal: string) {
  logger.info({ signal }, "shutting down");
  await api.close();
  await platform.server.stop();
  process.exit(0);
}
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
