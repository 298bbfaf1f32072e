/**
 * The operators' commands beside the running platform (startPlatform on free ports with the embedded
 * server in a temporary data directory): `ops provision-contract`, `pnpm psql` and `pnpm seed --demo`,
 * each its real module spawned through tsx as its package script runs it, attach to the platform's
 * server and leave it running; the contract provisioned is visible through the running admin API.
 * Every operator error is one line on stderr with a non-zero exit; once the platform has stopped, a
 * command starts its own server and stops it when done.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { freePort } from "@tsunagi/db/server";
import { type CommandRun, runCommand } from "@tsunagi/db/testing/commands";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Platform, startPlatform } from "../src/platform.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/** Each command as its package script runs it: the module through the package's own tsx. */
const COMMANDS = {
  ops: { dir: "apps/admin-api", script: "src/cli/ops.ts" },
  psql: { dir: "packages/db", script: "src/cli/psql.ts" },
  seed: { dir: "packages/fixtures", script: "src/cli/seed.ts" },
} as const;

let dataDir: string;
let platform: Platform | undefined;

function run(
  command: keyof typeof COMMANDS,
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<CommandRun> {
  const { dir, script } = COMMANDS[command];
  const env: NodeJS.ProcessEnv = { ...process.env, TSUNAGI_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  return runCommand(join(root, dir, "node_modules", ".bin", "tsx"), [script, ...args], {
    cwd: join(root, dir),
    env: { ...env, ...extraEnv },
  });
}

/** A successful command: nothing on stderr, exit 0; its standard output. */
function output(result: CommandRun): string {
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.stdout;
}

/** An operator error: exactly one line on stderr, no stack frame, the given exit code. */
function expectOneLineError(result: CommandRun, code: number, message: RegExp) {
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(code);
}

const lockFile = () => join(dataDir, "pg", "postmaster.pid");

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "tsunagi-operators-"));
  platform = await startPlatform({
    dataDir,
    host: "127.0.0.1",
    relayPort: 0,
    apiPort: 0,
    logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
    logLevel: "silent",
  });
});
afterAll(async () => {
  await platform?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe("operators' commands while the platform runs", () => {
  it("ops provision-contract prints the account sheet, and its admin logs in through the running admin API", async () => {
    const stdout = output(
      await run("ops", [
        ...["provision-contract", "--server", "fuji9", "--code", "000777"],
        ...["--name", "Ops Co", "--model", "neo"],
      ]),
    );
    expect(stdout).toContain("Contract ID: 000777");
    expect(stdout).toContain("Admin account        000777.admin");
    const password = /Temporary password {3}(\S+)/.exec(stdout)?.[1];
    expect(password).toBeDefined();

    const login = await fetch(`${platform?.adminApi.url}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ server: "fuji9", login: "000777.admin", password }),
    });
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({
      temporaryPassword: true,
      contract: { code: "000777", model: "neo" },
    });
  });

  it("ops add-user adds a user to the contract", async () => {
    const stdout = output(
      await run("ops", ["add-user", "--code", "000777", "--user", "op.user", "--password", "pw-123456"]),
    );
    expect(stdout.trim()).toBe("user op.user added to contract 000777 on fuji9");
  });

  it("pnpm psql runs a statement on the platform database", async () => {
    const stdout = output(
      await run("psql", ["-tA", "-c", "select name from contracts where contract_code = '000777'"]),
    );
    expect(stdout.trim()).toBe("Ops Co");
  });

  it("pnpm seed --demo finds the demo the platform loaded and writes nothing", async () => {
    const stdout = output(await run("seed", ["--demo"]));
    expect(stdout.trim()).toBe("demo already present (contract 000000): nothing written");
  });

  it("every operator error is one line on stderr with a non-zero exit", async () => {
    expectOneLineError(
      await run("ops", ["add-user", "--code", "999999", "--user", "x"]),
      1,
      /^ops add-user: no contract 999999/,
    );
    expectOneLineError(
      await run("ops", [
        "provision-contract",
        "--server",
        "fuji9",
        "--code",
        "000778",
        "--name",
        "X",
        "--admin",
        "000777.admin",
      ]),
      1,
      /^ops provision-contract: server fuji9 already has an admin account 000777\.admin/,
    );
    expectOneLineError(
      await run("ops", ["provision-contract", "--server", "fuji8", "--code", "000777", "--name", "X"]),
      1,
      /^ops provision-contract: contract 000777 already exists/,
    );
    expectOneLineError(
      await run("ops", ["add-user", "--code", "000777", "--usr", "x"]),
      2,
      /^ops add-user: Unknown option '--usr'/,
    );
    expectOneLineError(await run("ops", ["provision"]), 2, /^ops: unknown command "provision"/);
    expectOneLineError(await run("seed", ["--dmo"]), 2, /^seed: Unknown option '--dmo'/);

    const unreachable = {
      DATABASE_URL: `postgres://tsunagi:secret-pw@127.0.0.1:${await freePort()}/tsunagi`,
    };
    for (const result of [
      await run("ops", ["add-user", "--code", "000777", "--user", "y"], unreachable),
      await run("psql", ["-c", "select 1"], unreachable),
      await run("seed", ["--demo"], unreachable),
    ]) {
      expectOneLineError(result, 1, /cannot reach the database tsunagi at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
      expect(result.stderr).not.toContain("secret-pw");
    }
  });

  it("after the platform stops, a command starts its own server and stops it when done", async () => {
    expect(existsSync(lockFile())).toBe(true);
    await platform?.close();
    platform = undefined;
    expect(existsSync(lockFile())).toBe(false);

    const stdout = output(
      await run("ops", ["add-user", "--code", "000777", "--user", "after.close", "--password", "pw-123456"]),
    );
    expect(stdout.trim()).toBe("user after.close added to contract 000777 on fuji9");
    expect(existsSync(lockFile())).toBe(false);
  });
});
