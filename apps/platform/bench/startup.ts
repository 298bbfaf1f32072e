/**
 * Start-up and footprint of the programs, from source (tsx, as before `pnpm build`) and built (plain
 * node, dist/), measured in the same run (`pnpm --filter @tsunagi/platform bench`):
 *   - a client and a viewer connecting through a built relay: wall-clock from spawning each to its
 *     "connected as …" line, and the resident memory of both while connected;
 *   - the TUI in a pseudo-terminal at 80×24: spawning to the login screen, against the smallest Ink
 *     program (one line, plain node, bundled as the TUI is) as the baseline; ratios to it are
 *     printed, and the same program unbundled for scale.
 * Runs alternate between the ways of starting, so a noisy neighbour hits them alike; medians of
 * BENCH_RUNS (default 5). An embedded PostgreSQL in a temporary directory holds the demo; nothing is
 * left behind.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";
import { spawn as spawnPty } from "@lydell/node-pty";
import { connect } from "@tsunagi/db";
import { openPlatformDatabase } from "@tsunagi/db/server";
import { DEMO, demoUsers, seedDemo } from "@tsunagi/fixtures";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const plainEnv = { ...process.env, NODE_OPTIONS: "" };

/** The relay's build is what the agents reach in both cases; the agents' builds are what is measured. */
const build = spawnSync("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
});
if (build.status !== 0) process.exit(1);

const dir = await mkdtemp(join(tmpdir(), "tsunagi-bench-startup-"));
const database = await openPlatformDatabase({ dataDir: join(dir, "db") });
const children = new Set<ChildProcess>();

/** Spawns `node args` and resolves with the ms until `pattern` appears on its stdout or stderr. */
function startUntil(args: string[], env: Record<string, string>, pattern: RegExp) {
  const start = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...plainEnv, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => children.delete(child));
  let output = "";
  const ready = new Promise<number>((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      if (pattern.test(output)) resolve(performance.now() - start);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then(() => reject(new Error(`${args.join(" ")} exited before ${pattern}:\n${output}`)));
  });
  return {
    child,
    ready,
    output: () => output,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

/** Resident memory of a process now, from /proc (MiB). */
function residentMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB$/m);
  return Number(line?.[1] ?? Number.NaN) / 1024;
}

try {
  const { db, close } = connect(database.url);
  await seedDemo(db);
  await close();
  const relay = startUntil(
    ["apps/relay/dist/tsunagi-relay.js"],
    { DATABASE_URL: database.url, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" },
    /relay listening on ws:\/\/\S+\n/,
  );
  await relay.ready;
  const relayUrl = relay.output().match(/relay listening on (ws:\/\/\S+)/)?.[1] ?? "";

  const agents = {
    "from source (bin/, tsx)": ["apps/agent/bin/tsunagi-client.js", "apps/agent/bin/tsunagi-viewer.js"],
    "built (dist/, node)": ["apps/agent/dist/tsunagi-client.js", "apps/agent/dist/tsunagi-viewer.js"],
  } as const;
  type Way = keyof typeof agents;
  const agentSamples = new Map<Way, { client: number[]; viewer: number[]; rss: number[] }>();
  // The demo's USB users in turn, so no user's login limit (a burst of 10, docs/security.md) is
  // reached; each keeps one device identity, recognised at every run after its first.
  const users = demoUsers.filter((u) => u.usbKeySerial && /^(usb|fingerprint)-/.test(u.viewerProduct ?? ""));
  for (let run = 0; run < RUNS; run++) {
    const user = users[run % users.length];
    if (!user?.viewerProduct || !user.usbKeySerial) throw new Error("the demo has no USB user");
    const env = { TSUNAGI_PASSWORD: DEMO.userPassword, TSUNAGI_CONFIG_DIR: join(dir, user.userName) };
    const common = ["--server", relayUrl, "--server-host", DEMO.serverHost, "--user", user.userName];
    const product = ["--product", user.viewerProduct, "--usb-key-serial", user.usbKeySerial];
    for (const way of Object.keys(agents) as Way[]) {
      const [clientJs, viewerJs] = agents[way];
      const samples = agentSamples.get(way) ?? { client: [], viewer: [], rss: [] };
      agentSamples.set(way, samples);
      const client = startUntil(
        [clientJs, ...common, "--forward", "127.0.0.1:9"],
        env,
        /connected as client/,
      );
      samples.client.push(await client.ready);
      const viewer = startUntil(
        [viewerJs, ...common, ...product, "--listen", "127.0.0.1:0"],
        env,
        /connected as viewer/,
      );
      samples.viewer.push(await viewer.ready);
      // Settled: connected, idle, the start-up's garbage collectable.
      await new Promise((r) => setTimeout(r, 1000));
      samples.rss.push(residentMiB(client.child.pid ?? 0), residentMiB(viewer.child.pid ?? 0));
      await viewer.stop();
      await client.stop();
    }
  }

  /** Spawning to the login screen in a pseudo-terminal at 80×24 (ms). */
  function toLogin(args: string[], cwd: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const pty = spawnPty(process.execPath, args, {
        cols: 80,
        rows: 24,
        cwd,
        env: { ...plainEnv, TSUNAGI_TUI_CONFIG: join(dir, "tui.json"), FORCE_COLOR: "1" },
      });
      let out = "";
      const timer = setTimeout(() => {
        pty.kill();
        reject(new Error(`no login screen after 20 s:\n${stripVTControlCharacters(out)}`));
      }, 20_000);
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
  const tuiDir = join(root, "apps/tui");
  // The baseline bundled as the TUI is (tooling/bundle.mjs), so the comparison is of the programs.
  const bundled = spawnSync(
    process.execPath,
    ["../../tooling/bundle.mjs", "minimal-ink=bench/minimal-ink.mjs"],
    {
      cwd: tuiDir,
      stdio: "inherit",
    },
  );
  if (bundled.status !== 0) throw new Error("could not bundle bench/minimal-ink.mjs");
  const api = ["--api", "http://127.0.0.1:9"];
  const tuis: [string, string[], string][] = [
    ["minimal Ink program (baseline)", ["dist/minimal-ink.js"], tuiDir],
    ["minimal Ink program, unbundled", ["bench/minimal-ink.mjs"], tuiDir],
    ["TUI from source (pnpm tui, tsx)", ["--import", "tsx", "src/cli.tsx", ...api], tuiDir],
    ["TUI built (dist/tsunagi-tui.js)", ["dist/tsunagi-tui.js", ...api], tuiDir],
  ];
  const tuiSamples = new Map<string, number[]>();
  for (let run = 0; run < RUNS; run++) {
    for (const [label, args, cwd] of tuis) {
      tuiSamples.set(label, [...(tuiSamples.get(label) ?? []), await toLogin(args, cwd)]);
    }
  }

  await relay.stop();
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  const before = agentSamples.get("from source (bin/, tsx)");
  const after = agentSamples.get("built (dist/, node)");
  console.log(`\nagents through a built relay (medians of ${RUNS})`);
  for (const [way, s] of agentSamples) {
    console.log(
      `  ${way.padEnd(26)} client to connected ${ms(median(s.client))}, viewer to connected ${ms(median(s.viewer))}, resident ${median(s.rss).toFixed(1)} MiB each`,
    );
  }
  if (before && after) {
    console.log(
      `  built / from source: client start ${(median(after.client) / median(before.client)).toFixed(2)}×, viewer start ${(median(after.viewer) / median(before.viewer)).toFixed(2)}×, resident ${(median(after.rss) / median(before.rss)).toFixed(2)}×`,
    );
  }
  const baseline = median(tuiSamples.get(tuis[0]?.[0] ?? "") ?? []);
  console.log(`\nTUI, spawn to login screen in a pty (medians of ${RUNS})`);
  for (const [label, samples] of tuiSamples) {
    console.log(
      `  ${label.padEnd(34)} ${ms(median(samples)).padStart(7)}  ${(median(samples) / baseline).toFixed(2)}× the baseline`,
    );
  }
} finally {
  for (const child of children) child.kill("SIGKILL");
  for (const file of ["minimal-ink.js", "minimal-ink.js.map"])
    await rm(join(root, "apps/tui/dist", file), { force: true });
  await database.server.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(0);
