/**
 * `runTui`: opens the TUI in the current terminal against an admin API. The CLI calls it; the platform
 * launcher (`pnpm start`) runs the CLI with the demo's server filled in and the demo credentials as a hint.
 */
import { render } from "ink";
import { createHttpPort } from "./api/client.js";
import { App } from "./app/App.js";
import { UiProvider } from "./app/ui-context.js";
import { readEnv } from "./env.js";
import { type ConfigStore, fileConfigStore } from "./lib/config.js";

export interface RunTuiOptions {
  apiUrl: string;
  prefill?: { server?: string; login?: string };
  /** Shown under the login form, e.g. "asp1 / account.admin / demo-temp-1234". */
  demoHint?: string;
  /** Defaults to the XDG config file (TSUNAGI_TUI_CONFIG overrides). */
  config?: ConfigStore;
  noColor?: boolean;
  timeZone?: string;
}

/** Resolves when the admin quits (Ctrl+C). */
export async function runTui(options: RunTuiOptions): Promise<void> {
  const env = readEnv();
  const config = options.config ?? fileConfigStore(env.configPath);
  const remembered = config.load();
  const instance = render(
    <UiProvider
      config={config}
      noColor={options.noColor ?? env.noColor}
      {...(options.timeZone ? { timeZone: options.timeZone } : {})}
    >
      <App
        api={createHttpPort(options.apiUrl)}
        prefill={{
          server: options.prefill?.server ?? remembered.lastServer,
          login: options.prefill?.login ?? remembered.lastLogin,
        }}
        demoHint={options.demoHint}
      />
    </UiProvider>,
    { exitOnCtrlC: true },
  );
  await instance.waitUntilExit();
}
