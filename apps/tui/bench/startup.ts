/**
 * Start-up as the admin meets it (on demand: `pnpm --filter @tsunagi/tui bench:startup`): the real
 * CLI in a pseudo-terminal at 80×24, wall-clock from spawning the command to the login screen on the
 * terminal, for each way of starting it. No admin API is needed until the admin logs in.
 */
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { spawn } from "@lydell/node-pty";

const tuiDir = fileURLToPath(new URL("..", import.meta.url));
const runs = Number(process.argv[2] ?? 7);
// Another checkout's entry point to compare with (e.g. the previous commit's src/cli.tsx).
const cli = process.argv[3] ?? "src/cli.tsx";
const api = ["--api", "http://127.0.0.1:9"];
const commands: [string, string, string[]][] = [
  [`node --import tsx ${cli} (pnpm tui)`, process.execPath, ["--import", "tsx", cli, ...api]],
  [`tsx ${cli} (the tsx CLI)`, "node_modules/.bin/tsx", [cli, ...api]],
];

function once(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const pty = spawn(file, args, {
      cols: 80,
      rows: 24,
      cwd: tuiDir,
      env: { ...process.env, TSUNAGI_TUI_CONFIG: "/nonexistent/tui.json", FORCE_COLOR: "1" },
    });
    let out = "";
    const timer = setTimeout(() => {
      pty.kill();
      reject(new Error(`no login screen after 15 s:\n${stripVTControlCharacters(out)}`));
    }, 15_000);
    pty.onData((data) => {
      out += data;
      if (stripVTControlCharacters(out).includes("Account manager login")) {
        const ms = performance.now() - start;
        clearTimeout(timer);
        pty.onExit(() => resolve(ms));
        pty.kill();
      }
    });
  });
}

for (const [label, file, args] of commands) {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once(file, args));
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? 0;
  console.log(
    `${label}: median ${median.toFixed(0)} ms, min ${(samples[0] ?? 0).toFixed(0)} ms, max ${(samples.at(-1) ?? 0).toFixed(0)} ms (n=${runs})`,
  );
}
process.exit(0);
