/**
 * The agent is what a customer installs on a PC: at run time it loads core's narrow subpaths only,
 * never argon2, the database, or core's root entry (which carries password hashing). Each CLI runs
 * in a child process whose module loader records every module it resolves.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const agentDir = fileURLToPath(new URL("..", import.meta.url));

/** A loader hook, registered before the program starts, that prints each resolved module's URL. */
const recorder = `data:text/javascript,${encodeURIComponent(`
import { register } from "node:module";
register("data:text/javascript," + encodeURIComponent(
  "export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('resolved ' + r.url + '\\\\n'); return r; }"
));
`)}`;

/** The modules a CLI resolves when run with `args` (its usage text: enough to load every module). */
function resolvedBy(bin: string, args: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", recorder, `bin/${bin}.js`, ...args],
      { cwd: agentDir, timeout: 30_000 },
      (error, _stdout, stderr) => {
        const urls = [...stderr.matchAll(/^resolved (.+)$/gm)].map((m) => m[1] as string);
        if (urls.length === 0) reject(error ?? new Error(`no module recorded: ${stderr}`));
        else resolve(urls);
      },
    );
  });
}

const serverSide =
  /argon2|postgres|drizzle|@tsunagi\/db|packages\/db\/|packages\/core\/src\/(index|password)\.ts/;

describe("the agent at run time", () => {
  it.each(["tsunagi-viewer", "tsunagi-client"])("%s loads nothing server-side", async (bin) => {
    const urls = await resolvedBy(bin, ["--help"]);
    expect(urls.some((url) => url.includes("apps/agent/src/connection.ts"))).toBe(true);
    expect(urls.filter((url) => serverSide.test(url))).toEqual([]);
  });
});
