/**
 * The platform's programs as a person meets them: spawned with node (through tsx), in a pseudo-terminal
 * at 80×24 whose output feeds a headless xterm, so `screen()` is what a person sees.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { type IPty, spawn } from "@lydell/node-pty";
import { Terminal } from "@xterm/headless";

export const platformDir = fileURLToPath(new URL("..", import.meta.url));
/** `pnpm tui`'s entry point, found through the TUI package's exports. */
export const tuiCli = createRequire(import.meta.url).resolve("@tsunagi/tui/cli");
/** `pnpm start`'s entry point. */
export const launcher = fileURLToPath(new URL("../src/main.ts", import.meta.url));

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

/** Runs `node --import tsx <entry> ...args` in a pseudo-terminal. */
export function inTerminal(entry: string, args: string[], env: Record<string, string>): InTerminal {
  const term = new Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  const pty = spawn(process.execPath, ["--import", "tsx", entry, ...args], {
    name: "xterm-256color",
    cols: COLS,
    rows: ROWS,
    cwd: platformDir,
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
