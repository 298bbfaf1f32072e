/**
 * `pnpm psql`: opens psql on the platform's database (the embedded server, started for the
 * session, or DATABASE_URL), or prints the URL with --url for other tools.
 */
import { spawn } from "node:child_process";
import { DatabaseStartError } from "../server/embedded.js";
import { readDbEnv } from "../server/env.js";
import { openPlatformDatabase } from "../server/platform.js";

// Everything but --url goes to psql as it is (-c, -f, …), with or without a "--" before it.
const args = process.argv.slice(2).filter((a) => a !== "--");
const urlOnly = args.includes("--url");
const psqlArgs = args.filter((a) => a !== "--url");

try {
  const env = readDbEnv();
  const platform = await openPlatformDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.TSUNAGI_DATA_DIR,
  });
  if (urlOnly) {
    console.log(platform.url);
    console.error("(the embedded server runs until you press Ctrl-C)");
    await new Promise((resolve) => process.once("SIGINT", resolve));
  } else {
    const psql = spawn("psql", [platform.url, ...psqlArgs], { stdio: "inherit" });
    const code = await new Promise<number>((resolve) => {
      psql.on("error", () => {
        console.error(`psql was not found on the PATH; connect any client to ${platform.url}`);
        resolve(1);
      });
      psql.on("exit", (c) => resolve(c ?? 0));
    });
    process.exitCode = code;
  }
  await platform.server.stop();
} catch (error) {
  if (error instanceof DatabaseStartError) {
    console.error(`tsunagi: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
