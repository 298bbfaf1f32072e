/** What both command-line programs share: the password sources, HOST:PORT parsing, and how failures are shown. */
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { AuthenticationError, ConnectionError, RelayError } from "../connection.js";
import type { AgentEnv } from "../env.js";
import { DATA_PATH_MODES, type DataPathMode } from "../tunnel/data.js";

export class UsageError extends Error {}

export function parseHostPort(text: string, flag: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65_535) throw new UsageError(`${flag} must be HOST:PORT, e.g. 127.0.0.1:3389`);
  return { host: match[1] ?? match[2] ?? "127.0.0.1", port };
}

/** `--data-path`: auto, spliced or mux (auto when absent). */
export function dataPathMode(text: string | undefined): DataPathMode {
  if (text === undefined) return "auto";
  const mode = DATA_PATH_MODES.find((m) => m === text);
  if (!mode) throw new UsageError(`--data-path must be one of ${DATA_PATH_MODES.join(", ")}`);
  return mode;
}

/**
 * The password: from --password-file, else TSUNAGI_PASSWORD, else a prompt on the terminal (not
 * echoed), else one line of standard input. Never a command-line argument: those show in `ps`.
 */
export async function readPassword(passwordFile: string | undefined, env: AgentEnv): Promise<string> {
  if (passwordFile) return (await readFile(passwordFile, "utf8")).replace(/\r?\n$/, "");
  if (env.TSUNAGI_PASSWORD !== undefined) return env.TSUNAGI_PASSWORD;
  const tty = process.stdin.isTTY === true;
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: tty });
  if (tty) process.stderr.write("Password: ");
  muted = true;
  const line = await new Promise<string>((resolve) => {
    rl.once("line", resolve);
    rl.once("close", () => resolve(""));
  });
  rl.close();
  if (tty) process.stderr.write("\n");
  return line;
}

/** Prints an error the way the service shows it and returns the exit code. */
export function report(error: unknown): number {
  if (
    error instanceof AuthenticationError ||
    error instanceof ConnectionError ||
    error instanceof RelayError
  ) {
    process.stderr.write(`${error.message}\n`);
  } else if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n(see --help)\n`);
    return 2;
  } else {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  }
  return 1;
}

export const notice = (text: string) => process.stderr.write(`${text}\n`);
