/**
 * `pnpm start`: the whole platform in one command. Opens the database (embedded unless DATABASE_URL),
 * migrates, loads the demo on first run, starts the relay and the admin API, and opens the TUI at the
 * login screen with `asp1` filled in. `--headless` starts only the servers.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ADMIN_API_DEFAULTS, adminApiSettings } from "@tsunagi/admin-api/start";
import { DatabaseStartError, defaultDataDir } from "@tsunagi/db/server";
import { DEMO } from "@tsunagi/fixtures";
import { RELAY_DEFAULTS, relaySettings } from "@tsunagi/relay/start";
import { type TuiCommand, tuiCommand } from "@tsunagi/tui/command";
import { readEnv } from "./env.js";
import { StartError, startPlatform } from "./platform.js";

const USAGE = `usage: pnpm start [--headless] [--relay-port N] [--api-port N] [--host H]
  Starts the database, the relay and the admin API, then opens the TUI.
  --headless      start only the servers (Ctrl-C stops them)
  --relay-port N  relay port (default ${RELAY_DEFAULTS.port}, RELAY_PORT)
  --api-port N    admin API port (default ${ADMIN_API_DEFAULTS.port}, ADMIN_API_PORT)
  --host H        address both servers bind to (default ${RELAY_DEFAULTS.host})
  DATABASE_URL    use this PostgreSQL instead of the embedded one
  TSUNAGI_DATA_DIR  where the embedded database and logs live
  The relay's and the admin API's own variables apply too (TLS, trusted proxies…): see the README.`;

function port(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new StartError(`${name}: "${value}" is not a port number`);
  return n;
}

async function main() {
  const { values } = parseArgs({
    options: {
      headless: { type: "boolean", default: false },
      "relay-port": { type: "string" },
      "api-port": { type: "string" },
      host: { type: "string", default: RELAY_DEFAULTS.host },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const env = readEnv();
  const dataDir = env.db.TSUNAGI_DATA_DIR ?? defaultDataDir();
  // With the TUI on screen, server logs go to a file: a log line would tear the terminal UI.
  const logDir = join(dataDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, "platform.log");
  const logStream = values.headless ? process.stderr : createWriteStream(logFile, { flags: "a" });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const platform = await startPlatform({
    databaseUrl: env.db.DATABASE_URL,
    dataDir,
    host: values.host,
    relayPort: port(values["relay-port"] ?? env.RELAY_PORT, "--relay-port"),
    apiPort: port(values["api-port"] ?? env.ADMIN_API_PORT, "--api-port"),
    relay: await relaySettings(env.relay),
    adminApi: adminApiSettings(env.adminApi),
    logStream,
    logLevel: env.LOG_LEVEL,
    say,
  });
  try {
    const apiUrl = platform.adminApi.url;
    say(`tsunagi: relay     ${platform.relay.url}`);
    say(`tsunagi: admin API ${apiUrl}  (reference: ${apiUrl}/docs)`);
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
      process.exitCode = await runTui([
        ...["--api", apiUrl, "--server", DEMO.serverHost, "--login", DEMO.adminLogin],
        "--demo-hint",
        `demo: server ${DEMO.serverHost} · admin ${DEMO.adminLogin} · temporary password ${DEMO.adminTemporaryPassword}`,
      ]);
    }
  } finally {
    await platform.close();
  }
}

const launcher = fileURLToPath(import.meta.url);

/**
 * How the TUI starts: built (`pnpm build` bundles this file as dist/tsunagi.js), it is the TUI
 * program built beside it, plain node; from source (`pnpm dev`), the TUI package's command, tsx.
 */
function tuiProgram(args: string[]): TuiCommand {
  return launcher.endsWith(".js")
    ? {
        file: process.execPath,
        args: [join(dirname(launcher), "tsunagi-tui.js"), ...args],
        cwd: process.cwd(),
      }
    : tuiCommand(args);
}

/** The TUI in a process of its own on this terminal; resolves with its exit code when the admin quits. */
function runTui(args: string[]): Promise<number> {
  const command = tuiProgram(args);
  const tui = spawn(command.file, command.args, { cwd: command.cwd, stdio: "inherit" });
  // A Ctrl-C that reaches the launcher too (the terminal not yet in raw mode) is the TUI's to act on:
  // the servers stay up until it has exited.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  return new Promise((resolve, reject) => {
    tui.once("error", reject);
    tui.once("exit", (code, signal) => {
      process.off("SIGINT", ignore);
      // Ctrl-C before the TUI has the terminal in raw mode arrives as SIGINT: a quit all the same.
      resolve(code ?? (signal === "SIGINT" ? 0 : 1));
    });
  });
}

main().then(
  () => process.exit(),
  (error: unknown) => {
    if (error instanceof StartError || error instanceof DatabaseStartError) {
      process.stderr.write(`tsunagi: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  },
);
