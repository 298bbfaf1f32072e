/**
 * The operators' commands beside a running embedded server: `pnpm psql` (its real module, spawned
 * as the package script runs it) attaches to the server already running on the data directory and
 * leaves it running; a postmaster.pid whose process is gone, or is the postgres of another cluster,
 * is stale: the command removes it, starts its own server and stops it when done.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { type DatabaseServer, DatabaseStartError, startEmbedded } from "../src/server/index.js";
import { type CommandRun, runCommand } from "../src/testing/commands.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const tsx = join(packageDir, "node_modules", ".bin", "tsx");

/** `pnpm psql ARGS` on `dataDir`: the CLI module through tsx, as the package script runs it. */
function psqlCli(dataDir: string, args: string[]): Promise<CommandRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, TSUNAGI_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  return runCommand(tsx, ["src/cli/psql.ts", ...args], { cwd: packageDir, env });
}

async function scalar(url: string, query: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql.unsafe(query);
    return String(Object.values(row ?? {})[0]);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function dataDirectory(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tsunagi-attach-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function running(dataDir: string): Promise<DatabaseServer> {
  const server = await startEmbedded({ dataDir });
  cleanups.push(() => server.stop());
  return server;
}

describe("attaching to the embedded server of a data directory", () => {
  it("startEmbedded attaches only when asked, and the attached handle's stop() leaves the server running", async () => {
    const dataDir = await dataDirectory();
    const owner = await running(dataDir);
    await expect(startEmbedded({ dataDir })).rejects.toThrow(DatabaseStartError);

    const attached = await startEmbedded({ dataDir, attach: true });
    expect(attached.attached).toBe(true);
    expect(new URL(attached.adminUrl).port).toBe(new URL(owner.adminUrl).port);
    await scalar(attached.adminUrl, "create table marker (id int)");
    await attached.stop();
    expect(await scalar(owner.adminUrl, "select count(*) from marker")).toBe("0");
  });

  it("pnpm psql runs on the running server's platform database and leaves the server running", async () => {
    const dataDir = await dataDirectory();
    const owner = await running(dataDir);
    const run = await psqlCli(dataDir, ["-tA", "-c", "select current_database()"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("tsunagi");
    expect(
      await scalar(owner.urlFor("tsunagi"), "select count(*) from drizzle.__drizzle_migrations"),
    ).not.toBe("0");
    expect(existsSync(join(dataDir, "pg", "postmaster.pid"))).toBe(true);
  });

  it("a stale postmaster.pid (another cluster's live postgres, then a dead process) is removed, and psql's own server stopped after", async () => {
    const dataDir = await dataDirectory();
    // A cluster initialised and stopped, as a killed platform leaves it.
    await (await startEmbedded({ dataDir })).stop();
    const lockFile = join(dataDir, "pg", "postmaster.pid");
    expect(existsSync(lockFile)).toBe(false);

    // The pid and port of a live, answering postgres that serves another directory.
    const other = await running(await dataDirectory());
    const otherLock = await readFile(join(other.dataDir ?? "", "pg", "postmaster.pid"), "utf8");
    await writeFile(lockFile, otherLock.replace(/^(\d+)\n[^\n]*/, `$1\n${join(dataDir, "pg")}`));
    const first = await psqlCli(dataDir, ["-tA", "-c", "select 1"]);
    expect(first.stderr).toMatch(/removed a stale database lock/);
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe("1");
    expect(existsSync(lockFile)).toBe(false);
    expect(await scalar(other.adminUrl, "select 1")).toBe("1");

    // A process that has exited: its pid is free.
    const gone = spawn(process.execPath, ["-e", ""]);
    const pid = gone.pid;
    await new Promise((resolve) => gone.once("exit", resolve));
    await writeFile(lockFile, otherLock.replace(/^\d+/, String(pid)));
    const second = await psqlCli(dataDir, ["-tA", "-c", "select 2"]);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe("2");
    expect(existsSync(lockFile)).toBe(false);
  });
});
