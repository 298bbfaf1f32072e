/**
 * The relay as a process: read the environment, open (and migrate) the database, listen. Prints one
 * line "relay listening on URL" on stdout once ready, which scripts and tests wait for.
 */
import { readFile } from "node:fs/promises";
import { connect, openPlatformDatabase } from "@tsunagi/db";
import { readEnv } from "./env.js";
import { jsonLog, silentLog } from "./log.js";
import { createRelay } from "./relay.js";

async function main() {
  const env = readEnv();
  const platform = await openPlatformDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.TSUNAGI_DATA_DIR,
  });
  const { db, close: closeDb } = connect(platform.url);
  const tls =
    env.TSUNAGI_TLS_CERT && env.TSUNAGI_TLS_KEY
      ? { cert: await readFile(env.TSUNAGI_TLS_CERT), key: await readFile(env.TSUNAGI_TLS_KEY) }
      : undefined;
  const relay = createRelay({
    db,
    tls,
    log: env.LOG_LEVEL === "silent" ? silentLog : jsonLog,
    config: {
      trustedProxies: env.TSUNAGI_TRUSTED_PROXIES,
      ...(env.TSUNAGI_STALE_AFTER_SECONDS ? { staleAfterSeconds: env.TSUNAGI_STALE_AFTER_SECONDS } : {}),
      ...(env.TSUNAGI_HEARTBEAT_SECONDS ? { heartbeatIntervalMs: env.TSUNAGI_HEARTBEAT_SECONDS * 1000 } : {}),
      ...(env.TSUNAGI_MAX_CHANNELS ? { maxChannelsPerSession: env.TSUNAGI_MAX_CHANNELS } : {}),
    },
  });
  const { url } = await relay.listen(env.PORT, env.HOST);
  process.stdout.write(`relay listening on ${url}\n`);
  if (!tls && env.HOST !== "127.0.0.1" && env.HOST !== "localhost" && env.HOST !== "::1") {
    process.stderr.write(
      "tsunagi relay: serving plain ws:// beyond loopback; put it behind a TLS proxy or set TSUNAGI_TLS_CERT/KEY\n",
    );
  }
  const stop = async () => {
    await relay.close();
    await closeDb();
    await platform.server.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

main().catch((error) => {
  process.stderr.write(`tsunagi relay: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
