#!/usr/bin/env node
// Runs every package's tests through turbo (extra arguments go to turbo, e.g. --filter), then sums
// the vitest JSON reports into one closing line, "N passed, N failed, N skipped", so a run's result
// reads the same whichever packages it covered.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const packages = [
  "packages/core",
  "packages/db",
  "packages/fixtures",
  "packages/net",
  "apps/relay",
  "apps/admin-api",
  "apps/tui",
  "apps/agent",
  "apps/platform",
  "tooling/architecture",
];
const report = (dir) => join(root, dir, ".vitest", "results.json");
for (const dir of packages) rmSync(report(dir), { force: true });

const turbo = spawnSync(
  "pnpm",
  [
    "exec",
    "turbo",
    "run",
    "test",
    // Two packages at a time on two cores: each suite starts its own PostgreSQL and servers, and
    // seven at once starve the ones that wait on real sockets and processes.
    "--concurrency=2",
    ...process.argv.slice(2),
    "--",
    "--reporter=default",
    "--reporter=json",
    "--outputFile.json=.vitest/results.json",
  ],
  { cwd: root, stdio: "inherit", env: { TURBO_TELEMETRY_DISABLED: "1", ...process.env } },
);

let passed = 0;
let failed = 0;
let skipped = 0;
for (const dir of packages) {
  if (!existsSync(report(dir))) continue;
  const r = JSON.parse(readFileSync(report(dir), "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(turbo.status ?? 1);
