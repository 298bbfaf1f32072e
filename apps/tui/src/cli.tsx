/**
 * `pnpm tui --api URL`: the TUI against any admin API. Also takes --server and --login to fill the
 * login form, --demo-hint to show a line under it (the platform launcher's demo credentials), and
 * --no-color.
 */
// Must come first: it decides, before Ink loads, that a terminal is interactive.
import "./interactive.js";
import { parseArgs } from "node:util";
import { readEnv } from "./env.js";
import { runTui } from "./run.js";

const { values } = parseArgs({
  options: {
    api: { type: "string" },
    server: { type: "string" },
    login: { type: "string" },
    "demo-hint": { type: "string" },
    "no-color": { type: "boolean" },
    "time-zone": { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  allowPositionals: false,
});

if (values.help) {
  process.stdout.write(
    "Usage: pnpm tui --api http://127.0.0.1:7420 [--server asp1] [--login account.admin] [--demo-hint TEXT] [--no-color] [--time-zone ZONE]\n  Times are shown in the contract's zone unless --time-zone fixes one.\n",
  );
  process.exit(0);
}

const apiUrl = values.api ?? readEnv().apiUrl;
if (!apiUrl) {
  process.stderr.write("tsunagi tui: give the admin API's address: pnpm tui --api http://127.0.0.1:7420\n");
  process.exit(2);
}
try {
  new URL(apiUrl);
} catch {
  process.stderr.write(`tsunagi tui: not a URL: ${apiUrl}\n`);
  process.exit(2);
}

await runTui({
  apiUrl,
  prefill: {
    ...(values.server ? { server: values.server } : {}),
    ...(values.login ? { login: values.login } : {}),
  },
  ...(values["demo-hint"] ? { demoHint: values["demo-hint"] } : {}),
  ...(values["no-color"] ? { noColor: true } : {}),
  ...(values["time-zone"] ? { timeZone: values["time-zone"] } : {}),
});
