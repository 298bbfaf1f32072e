/**
 * How another program opens this TUI in a process of its own: the command `pnpm tui` runs (node
 * with tsx, from this package's directory, whose tsconfig compiles the TUI's JSX). The platform
 * launcher (`pnpm start`) and the terminal tests start it this way.
 */
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

export interface TuiCommand {
  readonly file: string;
  readonly args: string[];
  readonly cwd: string;
}

/** `args` are the CLI's: --api URL, --server, --login, --demo-hint, --no-color, --time-zone. */
export function tuiCommand(args: readonly string[]): TuiCommand {
  return { file: process.execPath, args: ["--import", "tsx", "src/cli.tsx", ...args], cwd: packageDir };
}
