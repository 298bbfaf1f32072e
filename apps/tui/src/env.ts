/**
 * The TUI's environment, read once and parsed: the only module that touches `process.env`.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

const Env = z.object({
  /** Where `tui.json` lives; overrides the XDG lookup (tests, several profiles). */
  TSUNAGI_TUI_CONFIG: z.string().min(1).optional(),
  XDG_CONFIG_HOME: z.string().min(1).optional(),
  /** The admin API to use when `--api` isn't given. */
  TSUNAGI_API_URL: z.url().optional(),
  /** https://no-color.org: any non-empty value turns colour off. */
  NO_COLOR: z.string().optional(),
});

export interface TuiEnv {
  configPath: string;
  apiUrl: string | undefined;
  noColor: boolean;
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): TuiEnv {
  const parsed = Env.parse(env);
  const configDir = parsed.XDG_CONFIG_HOME ?? join(homedir(), ".config");
  return {
    configPath: parsed.TSUNAGI_TUI_CONFIG ?? join(configDir, "tsunagi", "tui.json"),
    apiUrl: parsed.TSUNAGI_API_URL,
    noColor: parsed.NO_COLOR !== undefined && parsed.NO_COLOR !== "",
  };
}
