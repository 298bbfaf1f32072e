/**
 * `pnpm start`: the whole platform in one command. Opens the database (embedded unless DATABASE_URL),
 * migrates, loads the demo on first run, starts the relay and the admin API, and opens the TUI at the
 * login screen with `asp1` filled in. `--headless` starts only the servers.
 */
// Must come first: it decides, before Ink loads, that a terminal is interactive.
import "../interactive.js";
import { createWriteStream, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { serve } from "@hono/node-server";
import { createApp } from "@tsunagi/admin-api";
import {
  connect,
  DatabaseStartError,
  defaultDataDir,
  openPlatformDatabase,
  readDbEnv,
  schema,
} from "@tsunagi/db";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { createRelay, type Log } from "@tsunagi/relay";
import { pino } from "pino";
import { readEnv } from "../env.js";
import { runTui } from "../run.js";

const USAGE = `usage: pnpm start [--headless] [--relay-port N] [--api-port N] [--host H]
  Starts the database, the relay and the admin API, then opens the TUI.
  --headless      start only the servers (Ctrl-C stops them)
  --relay-port N  relay port (default 7410, RELAY_PORT)
  --api-port N    admin API port (default 7420, ADMIN_API_PORT)
  --host H        address both servers bind to (default 127.0.0.1)
  DATABASE_URL    use this PostgreSQL instead of the embedded one
  TSUNAGI_DATA_DIR  where the embedded database and logs live`;

/** A failure the person starting the platform can act on: printed as one line, no stack trace. */
class StartError extends Error {}

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new StartError(`${name}: "${value}" is not a port number`);
  return n;
}

/** Checks a port before anything binds it, so a taken port is named plainly rather than by a stack. */
function ensureFree(host: string, p: number, what: string): Promise<void> {
  if (p === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new StartError(
          error.code === "EADDRINUSE"
            ? `port ${p} on ${host} is taken (is Tsunagi already running?): choose another with --${what}-port`
            : `cannot listen on ${host}:${p} for the ${what}: ${error.message}`,
        ),
      ),
    );
    probe.listen(p, host, () => probe.close(() => resolve()));
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      headless: { type: "boolean", default: false },
      "relay-port": { type: "string" },
      "api-port": { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const host = values.host;
  const env = readEnv();
  const dbEnv = readDbEnv();
  const relayPort = port(values["relay-port"] ?? env.relayPort, 7410, "--relay-port");
  const apiPort = port(values["api-port"] ?? env.apiPort, 7420, "--api-port");
  await ensureFree(host, relayPort, "relay");
  await ensureFree(host, apiPort, "api");

  const dataDir = dbEnv.TSUNAGI_DATA_DIR ?? defaultDataDir();
  // With the TUI on screen, server logs go to a file: a log line would tear the terminal UI.
  const logDir = join(dataDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, "platform.log");
  const logStream = values.headless ? process.stderr : createWriteStream(logFile, { flags: "a" });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  say(
    dbEnv.DATABASE_URL
      ? "tsunagi: using DATABASE_URL"
      : `tsunagi: starting the embedded database in ${dataDir}`,
  );
  const platform = await openPlatformDatabase({
    databaseUrl: dbEnv.DATABASE_URL,
    dataDir,
  });
  const { db, close } = connect(platform.url);
  const [anyContract] = await db.select({ id: schema.contracts.id }).from(schema.contracts).limit(1);
  if (!anyContract) {
    say("tsunagi: first run, loading the demo");
    await seedDemo(db);
  }

  const relayLog: Log = (entry) =>
    logStream.write(`${JSON.stringify({ at: new Date().toISOString(), app: "relay", ...entry })}\n`);
  const relay = createRelay({ db, log: relayLog });
  const relayUrl = (await relay.listen(relayPort, host)).url;
  const logger = pino({ level: env.logLevel, base: { app: "admin-api" } }, logStream);
  const app = createApp({ db, logger, config: {} });
  const api = await new Promise<{ close(): void; url: string }>((resolve) => {
    const server = serve({ fetch: app.fetch, port: apiPort, hostname: host }, (info) =>
      resolve({ close: () => server.close(), url: `http://${host}:${info.port}` }),
    );
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    api.close();
    await relay.close();
    await close();
    await platform.server.stop();
  };

  say(`tsunagi: relay     ${relayUrl}`);
  say(`tsunagi: admin API ${api.url}  (reference: ${api.url}/docs)`);
  if (values.headless) {
    say(
      `tsunagi: demo admin ${DEMO.adminLogin} on server ${DEMO.serverHost}, temporary password ${DEMO.adminTemporaryPassword}`,
    );
    say("tsunagi: running; Ctrl-C stops");
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
  } else {
    say(`tsunagi: server logs in ${logFile}`);
    await runTui({
      apiUrl: api.url,
      prefill: { server: DEMO.serverHost, login: DEMO.adminLogin },
      demoHint: `demo: server ${DEMO.serverHost} · admin ${DEMO.adminLogin} · temporary password ${DEMO.adminTemporaryPassword}`,
    });
  }
  await stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof StartError || error instanceof DatabaseStartError) {
      process.stderr.write(`tsunagi: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  },
);
