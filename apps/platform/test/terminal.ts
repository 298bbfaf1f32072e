/**
 * The platform's programs as a person meets them: `pnpm start` and `pnpm tui`, in a pseudo-terminal
 * at 80×24 whose output feeds a headless xterm, so `screen()` is what a person sees.
 */
import { fileURLToPath } from "node:url";
import { type IPty, spawn } from "@lydell/node-pty";
import { Terminal } from "@xterm/headless";

/** A program to run: the shape of the TUI package's `tuiCommand`. */
export interface Command {
  readonly file: string;
  readonly args: readonly string[];
  readonly cwd: string;
}

/** `pnpm start` with `args`, as the platform's package script runs it. */
export function launcherCommand(args: string[]): Command {
  return {
    file: process.execPath,
    args: ["--import", "tsx", "src/main.ts", ...args],
    cwd: fileURLToPath(new URL("..", import.meta.url)),
  };
}

const COLS = 80;
const ROWS = 24;

export interface InTerminal {
  readonly pty: IPty;
  screen(): string;
  type(keys: string): void;
  waitFor(text: string, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
}

/** Runs `command` in a pseudo-terminal, with `env` over this process's environment. */
export function inTerminal(command: Command, env: Record<string, string>): InTerminal {
  const term = new Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  const pty = spawn(command.file, [...command.args], {
    name: "xterm-256color",
    cols: COLS,
    rows: ROWS,
    cwd: command.cwd,
    env: { ...process.env, ...env },
  });
  const exited = new Promise<number>((resolve) => pty.onExit(({ exitCode }) => resolve(exitCode)));
  pty.onData((data) => term.write(data));
  const screen = () => {
    const lines: string[] = [];
    const buffer = term.buffer.active;
    for (let y = 0; y < ROWS; y++)
      lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? "");
    return lines.join("\n");
  };
  return {
    pty,
    screen,
    exited,
    type: (keys) => pty.write(keys),
    async waitFor(text, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = screen();
        if (now.includes(text)) return now;
        if (Date.now() > deadline) throw new Error(`"${text}" never appeared; the screen was:\n${now}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
