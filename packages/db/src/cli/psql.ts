/**
 * `pnpm psql`: opens psql on the platform's database (DATABASE_URL, or the embedded server: the one
 * the running platform holds, else one started for the session), or prints the URL with --url for
 * other tools. A failure is one line on stderr and exit code 1.
 */
import { spawn } from "node:child_process";
import { operatorLine } from "../errors.js";
import { readDbEnv } from "../server/env.js";
import { openPlatformDatabase } from "../server/platform.js";

// Everything but --url goes to psql as it is (-c, -f, …), with or without a "--" before it.
const args = process.argv.slice(2).filter((a) => a !== "--");
const urlOnly = args.includes("--url");
const psqlArgs = args.filter((a) => a !== "--url");

async function main(): Promise<number> {
  const env = readDbEnv();
  const platform = await openPlatformDatabase({
    databaseUrl: env.DATABASE_URL,
    dataDir: env.TSUNAGI_DATA_DIR,
    attach: true,
  });
  try {
    if (urlOnly) {
      console.log(platform.url);
      // A server of our own lives as long as this command; the platform's outlives it.
      if (platform.server.embedded && !platform.server.attached) {
        console.error("(the embedded server runs until you press Ctrl-C)");
        await new Promise((resolve) => process.once("SIGINT", resolve));
      }
      return 0;
    }
    const psql = spawn("psql", [platform.url, ...psqlArgs], { stdio: "inherit" });
    return await new Promise<number>((resolve) => {
      psql.on("error", () => {
        console.error(`tsunagi: psql was not found on the PATH; connect any client to ${platform.url}`);
        resolve(1);
      });
      psql.on("exit", (c) => resolve(c ?? 0));
    });
  } finally {
    await platform.server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`tsunagi: ${operatorLine(error)}`);
    process.exit(1);
  },
);
