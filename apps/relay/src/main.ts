/**
 * The relay as a process: read the environment, open (and migrate) the database, listen. Prints
 * "relay listening on URL" on stdout once ready, which scripts and tests wait for, then
 * "relay node ID internal URL" (its fleet node and where other relays link to it). SIGTERM drains
 * (agents sent to other relays, then exit); SIGINT closes at once.
 */
import { openPlatformDatabase } from "@tsunagi/db/server";
import { readEnv } from "./env.js";
import { jsonLog, silentLog } from "./log.js";
import { relaySettings, startRelay } from "./start.js";

async function main() {
  const env = readEnv();
  const platform = await openPlatformDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.TSUNAGI_DATA_DIR,
  });
  const relay = await startRelay({
    database: platform.url,
    host: env.HOST,
    port: env.PORT,
    log: env.LOG_LEVEL === "silent" ? silentLog : jsonLog,
    ...(await relaySettings(env)),
  }).catch(async (error: unknown) => {
    await platform.server.stop();
    throw error;
  });
  process.stdout.write(`relay listening on ${relay.url}\n`);
  process.stdout.write(`relay node ${relay.relay.nodeId} internal ${relay.internalUrl}\n`);
  let stopping = false;
  const stop = async (how: "now" | "drain") => {
    if (stopping && how === "drain") return;
    stopping = true;
    // SIGTERM (systemd's stop, a rolling upgrade) drains: agents go elsewhere before the relay exits.
    if (how === "drain") await relay.relay.drain();
    await relay.close();
    await platform.server.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("now"));
  process.once("SIGTERM", () => void stop("drain"));
}

main().catch((error) => {
  process.stderr.write(`tsunagi relay: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
