/**
 * deploy/ checked with the tools that will read it (docs/operations.md): the environment examples
 * name exactly the variables the programs read; `systemd-analyze verify` accepts the units, which run
 * the built programs; `haproxy -c` accepts both HAProxy configurations; and each configuration, with
 * only its addresses and privileges rewritten for loopback, runs in front of relays (and the admin
 * API) started from source with the example environment files. haproxy.cfg: health checks through
 * the PROXY header, the routing key's hashing, the refused paths, the admin allow-list through
 * X-Forwarded-For, a stopped relay's share going to another. haproxy-tcp.cfg: TLS passed through to
 * the relay, which judges the agent's address.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { connect as connectUnix, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { schema } from "@tsunagi/db";
import { useTestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");

const HAPROXY = "/usr/sbin/haproxy";
const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";
// CI installs both (.ci/run); elsewhere a missing tool skips its part, saying so.
for (const tool of [HAPROXY, SYSTEMD_ANALYZE]) {
  if (!existsSync(tool) && !process.env.CI) console.log(`deploy.e2e: ${tool} is absent, its checks skipped`);
}
const runs = (tool: string) => existsSync(tool) || Boolean(process.env.CI);

// ---- The environment examples --------------------------------------------------------------------

/**
 * The variables a schema file reads: its object keys in capitals (`PORT: z…`, `TSUNAGI_X: list,`).
 * Read from the source, since another app's modules are not imported by path (docs/architecture.md).
 */
function schemaKeys(path: string): string[] {
  return [...read(path).matchAll(/^\s+([A-Z][A-Z0-9_]*)\??:/gm)].map((m) => m[1] as string);
}

/** Every variable an example names: set (`NAME=value`) or shown at its default (`# NAME=value`). */
function exampleNames(path: string): string[] {
  return [...read(path).matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string);
}

/** The variables an example sets, with their values. */
function exampleValues(path: string): Record<string, string> {
  return Object.fromEntries(
    [...read(path).matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]),
  );
}

const DB_ENV = "packages/db/src/server/env.ts";
const EXAMPLES = [
  {
    example: "deploy/env/relay.env.example",
    schemas: ["apps/relay/src/env.ts", DB_ENV],
  },
  {
    example: "deploy/env/admin-api.env.example",
    schemas: ["apps/admin-api/src/env.ts", DB_ENV],
  },
];

describe.each(EXAMPLES)("$example", ({ example, schemas }) => {
  const readVars = [...new Set(schemas.flatMap(schemaKeys))];
  const named = exampleNames(example);

  it("is read from its schemas as written", () => {
    // The source reading finds what the schemas plainly hold, or every check below is empty.
    expect(readVars).toEqual(expect.arrayContaining(["PORT", "HOST", "DATABASE_URL", "TSUNAGI_DATA_DIR"]));
    expect(named.length).toBeGreaterThan(8);
  });

  it("names every variable the program reads", () => {
    expect(readVars.filter((name) => !named.includes(name))).toEqual([]);
  });

  it("names only variables the program reads", () => {
    expect(named.filter((name) => !readVars.includes(name))).toEqual([]);
  });

  it("names each variable once, under a comment saying what it is for", () => {
    expect(named.filter((name, i) => named.indexOf(name) !== i)).toEqual([]);
    const lines = readFileSync(join(root, example), "utf8").split("\n");
    const isVariable = (line: string) => /^#?\s*[A-Z][A-Z0-9_]*=/.test(line);
    const uncommented = lines.flatMap((line, i) => {
      if (!isVariable(line)) return [];
      let above = i - 1;
      while (above >= 0 && isVariable(lines[above] ?? "")) above--;
      return (lines[above] ?? "").startsWith("# ") ? [] : [line];
    });
    expect(uncommented).toEqual([]);
  });
});

// ---- systemd ---------------------------------------------------------------------------------------

const UNITS = ["tsunagi-relay@.service", "tsunagi-admin-api.service"];
const unitText = (unit: string) => read(`deploy/systemd/${unit}`);
const directive = (text: string, key: string) =>
  [...text.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1] as string);

/** `systemd-analyze verify` on the units as copied to `dir`, a template as its instance `1`. */
async function verify(dir: string, unit: string): Promise<{ status: number | null; output: string }> {
  const name = unit.replace("@.service", "@1.service");
  if (name !== unit) await symlink(unit, join(dir, name)).catch(() => {});
  const run = spawnSync(SYSTEMD_ANALYZE, ["verify", `./${name}`], { cwd: dir, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe.skipIf(!runs(SYSTEMD_ANALYZE))("deploy/systemd", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tsunagi-deploy-units-"));
    for (const unit of UNITS) await copyFile(join(root, "deploy/systemd", unit), join(dir, unit));
    return () => rm(dir, { recursive: true, force: true });
  });

  it.each(UNITS)("%s passes systemd-analyze verify without a word", async (unit) => {
    // verify resolves ExecStart's program (/usr/bin/env here and on every Debian host) and warns,
    // still exiting 0, on an unknown directive or a value it cannot parse: both are failures here.
    expect(await verify(dir, unit)).toEqual({ status: 0, output: "" });
  });

  it("fails verify when ExecStart names a program that is not there (the check above can fail)", async () => {
    const unit = "tsunagi-admin-api.service";
    const broken = await mkdtemp(join(dir, "broken-"));
    await writeFile(
      join(broken, unit),
      unitText(unit).replace("/usr/bin/env node", "/opt/no-such-node/node"),
    );
    const run = await verify(broken, unit);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain("/opt/no-such-node/node");
  });

  it.each([
    ["tsunagi-relay@.service", "apps/relay"],
    ["tsunagi-admin-api.service", "apps/admin-api"],
  ])("%s runs a program %s's build writes, with plain node", (unit, app) => {
    const [execStart] = directive(unitText(unit), "ExecStart");
    const match = execStart?.match(/^\/usr\/bin\/env node \/opt\/tsunagi\/(\S+)\/dist\/([\w-]+)\.js$/);
    expect(match?.[1]).toBe(app);
    const build = (JSON.parse(read(`${app}/package.json`)) as { scripts: { build: string } }).scripts.build;
    expect(build).toContain(` ${match?.[2]}=`);
  });

  it("gives the relay longer than its drain deadline to stop after SIGTERM", () => {
    const text = unitText("tsunagi-relay@.service");
    expect(directive(text, "KillSignal")).toEqual(["SIGTERM"]);
    const [timeout] = directive(text, "TimeoutStopSec");
    expect(timeout).toMatch(/^\d+s?$/);
    const drain = Number(exampleValues("deploy/env/relay.env.example").TSUNAGI_DRAIN_SECONDS);
    expect(drain).toBeGreaterThan(0);
    expect(Number.parseInt(timeout ?? "0", 10)).toBeGreaterThan(drain);
  });
});

// ---- HAProxy -----------------------------------------------------------------------------------------

/** A self-signed certificate for 127.0.0.1 and its key in one PEM file, as HAProxy's `crt` takes it. */
async function pemFile(dir: string): Promise<{ pem: string; cert: Buffer }> {
  const cert = join(dir, "tls.crt");
  const key = join(dir, "tls.key");
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-days", "1", "-subj", "/CN=relay", "-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", key, "-out", cert],
    ],
    { stdio: "ignore" },
  );
  const pem = join(dir, "tls.pem");
  await writeFile(pem, Buffer.concat([await readFile(cert), await readFile(key)]));
  return { pem, cert: await readFile(cert) };
}

function haproxyCheck(config: string, env: Record<string, string>) {
  const run = spawnSync(HAPROXY, ["-c", "-f", config], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe.skipIf(!runs(HAPROXY))("deploy/haproxy", () => {
  let dir: string;
  let tls: { pem: string; cert: Buffer };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tsunagi-deploy-haproxy-"));
    tls = await pemFile(dir);
    return () => rm(dir, { recursive: true, force: true });
  });

  it.each(["haproxy.cfg", "haproxy-tcp.cfg"])("%s passes haproxy -c without a warning", (file) => {
    const run = haproxyCheck(join(root, "deploy/haproxy", file), { TSUNAGI_TLS_PEM: tls.pem });
    expect(run.output).not.toMatch(/\[(WARNING|ALERT)\]/);
    expect(run.status).toBe(0);
  });

  it("fails haproxy -c without the certificate TSUNAGI_TLS_PEM names (the check above can fail)", () => {
    const run = haproxyCheck(join(root, "deploy/haproxy/haproxy.cfg"), {
      TSUNAGI_TLS_PEM: join(dir, "absent.pem"),
    });
    expect(run.status).not.toBe(0);
    expect(run.output).toContain("absent.pem");
  });
});

// ---- haproxy.cfg running in front of the real programs ------------------------------------------------

/** `text` with `from` replaced by `to`, where `from` must occur exactly once: a rewrite that no longer
 * matches the file fails here instead of silently testing something else. */
function replaceOnce(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`expected "${from}" once, found it ${count} times`);
  return text.replace(from, to);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Program {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** The first match of `pattern` in its output, waiting up to `ms`. */
  match(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

/** A program run with `env` over this process's environment, its output collected. */
function run(file: string, args: string[], cwd: string, env: Record<string, string>): Program {
  const child = spawn(file, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const collect = (d: Buffer) => {
    text += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return {
    child,
    output: () => text,
    async match(pattern, ms = 60_000) {
      for (let waited = 0; ; waited += 100) {
        const found = text.match(pattern);
        if (found) return found;
        if (child.exitCode !== null || waited > ms) {
          throw new Error(`no ${pattern} (exit ${child.exitCode}); output:\n${text}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

/** An example's variables with `overrides`, each of which the example must itself name. */
function exampleEnv(example: string, overrides: Record<string, string>): Record<string, string> {
  const named = exampleNames(example);
  const unknown = Object.keys(overrides).filter((name) => !named.includes(name));
  if (unknown.length > 0) throw new Error(`${example} does not name ${unknown.join(", ")}`);
  return { ...exampleValues(example), ...overrides };
}

/** The agents' address: HAProxy's own connections to the servers leave from 127.0.0.1. */
const AGENT_ADDRESS = "127.0.0.4";

/**
 * One HTTPS request from the agents' address, on a connection of its own. `path` goes out as written
 * (a URL string would have its dot segments resolved before sending).
 */
function httpsCall(
  origin: string,
  path: string,
  ca: Buffer,
  options: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {},
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path,
        ca,
        localAddress: options.from ?? AGENT_ADDRESS,
        agent: false,
        method: options.method ?? "GET",
        headers: { connection: "close", ...options.headers },
      },
      (response) => {
        let body = "";
        response.on("data", (chunk) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/** HAProxy's `show stat` on its stats socket, as rows keyed by column name. */
function showStat(socket: string): Promise<Record<string, string>[]> {
  return new Promise((resolve, reject) => {
    let text = "";
    const client = connectUnix(socket, () => client.write("show stat\n"));
    client.on("data", (d: Buffer) => {
      text += d.toString();
    });
    client.on("error", reject);
    client.on("end", () => {
      const [header = "", ...rows] = text.trim().split("\n");
      const columns = header.replace(/^# /, "").split(",");
      resolve(
        rows.map((row) => Object.fromEntries(row.split(",").map((cell, i) => [columns[i] ?? "", cell]))),
      );
    });
  });
}

/** Programs a live test started, stopped (SIGINT: at once) and awaited by `stopAll`. */
function programs() {
  const started: Program[] = [];
  return {
    add<T extends Program>(program: T): T {
      started.push(program);
      return program;
    },
    async stopAll() {
      for (const p of started) if (p.child.exitCode === null) p.child.kill("SIGINT");
      await Promise.all(
        started.map((p) => (p.child.exitCode === null ? new Promise((r) => p.child.once("exit", r)) : null)),
      );
    },
  };
}

/** A relay from source with the example environment and `overrides`; resolves with its public port. */
async function relayFromSource(started: ReturnType<typeof programs>, env: Record<string, string>) {
  const relay = started.add(
    run(process.execPath, ["--import", "tsx", "src/main.ts"], join(root, "apps/relay"), env),
  );
  const port = (await relay.match(/relay listening on wss?:\/\/127\.0\.0\.1:(\d+)/))[1] ?? "";
  return { relay, port };
}

/**
 * `deploy/haproxy/<file>` run in the foreground with `rewrites` (each `from` found exactly once) and
 * those every run needs: privileges and daemon mode are the service manager's, the log goes to
 * stderr, the stats socket into `dir`.
 */
async function haproxyFrom(
  started: ReturnType<typeof programs>,
  file: string,
  dir: string,
  pem: string,
  rewrites: readonly (readonly [string, string])[],
) {
  const statsSocket = join(dir, "admin.sock");
  let config = read(`deploy/haproxy/${file}`);
  for (const [from, to] of [
    ["    chroot /var/lib/haproxy\n", ""],
    ["    user haproxy\n", ""],
    ["    group haproxy\n", ""],
    ["    daemon\n", ""],
    ["    log /dev/log local0\n", "    log stderr format short local0\n"],
    ["stats socket /run/haproxy/admin.sock", `stats socket ${statsSocket}`],
    ...rewrites,
  ] as const) {
    try {
      config = replaceOnce(config, from, to);
    } catch (error) {
      throw new Error(`deploy/haproxy/${file}: ${(error as Error).message}`);
    }
  }
  const configFile = join(dir, file);
  await writeFile(configFile, config);
  const haproxy = started.add(run(HAPROXY, ["-db", "-f", configFile], dir, { TSUNAGI_TLS_PEM: pem }));
  return { haproxy, statsSocket };
}

/** Waits until the health checks of `servers` (backend/server) all pass at layer 7 (a 200). */
async function healthChecksPass(haproxy: Program, statsSocket: string, servers: readonly string[]) {
  for (let waited = 0; ; waited += 200) {
    const rows = existsSync(statsSocket) ? await showStat(statsSocket).catch(() => []) : [];
    const checked = rows.filter((row) => servers.includes(`${row.pxname}/${row.svname}`));
    if (checked.length === servers.length && checked.every((row) => row.check_status === "L7OK")) return;
    if (waited > 60_000 || haproxy.child.exitCode !== null) {
      const states = checked.map((row) => `${row.pxname}/${row.svname} ${row.check_status} ${row.last_chk}`);
      throw new Error(`health checks did not pass: ${states.join(", ")}\n${haproxy.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(!runs(HAPROXY))(
  "deploy/haproxy/haproxy.cfg in front of three relays and the admin API",
  () => {
    const t = useTestDatabase((fresh) => seedDemo(fresh.db));
    const relays: Program[] = [];
    let dir: string;
    let tls: { pem: string; cert: Buffer };
    let statsSocket: string;
    let front: string;
    let adminFront: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "tsunagi-deploy-live-"));
      tls = await pemFile(dir);
      const started = programs();
      const stop = async () => {
        await started.stopAll();
        await rm(dir, { recursive: true, force: true });
      };
      try {
        // The relays and the admin API from source with the example files; only where they listen,
        // their database and the proxy's address (HAProxy leaves from 127.0.0.1) differ.
        const relayEnv = exampleEnv("deploy/env/relay.env.example", {
          DATABASE_URL: t.url,
          HOST: "127.0.0.1",
          PORT: "0",
          TSUNAGI_INTERNAL_HOST: "127.0.0.1",
          TSUNAGI_INTERNAL_PORT: "0",
          TSUNAGI_TRUSTED_PROXIES: "127.0.0.1",
        });
        const admin = started.add(
          run(
            process.execPath,
            ["--import", "tsx", "src/main.ts"],
            join(root, "apps/admin-api"),
            exampleEnv("deploy/env/admin-api.env.example", {
              DATABASE_URL: t.url,
              HOST: "127.0.0.1",
              PORT: "0",
              TSUNAGI_TRUSTED_PROXIES: "127.0.0.1",
            }),
          ),
        );
        const started3 = await Promise.all([0, 1, 2].map(() => relayFromSource(started, relayEnv)));
        relays.push(...started3.map(({ relay }) => relay));
        const adminPort = (await admin.match(/"url":"http:\/\/127\.0\.0\.1:(\d+)"/))[1];

        const frontPort = await freePort();
        const adminFrontPort = await freePort();
        const live = await haproxyFrom(started, "haproxy.cfg", dir, tls.pem, [
          ["bind :443 ssl", `bind 127.0.0.1:${frontPort} ssl`],
          ["bind :7443 ssl", `bind 127.0.0.1:${adminFrontPort} ssl`],
          ["server relay1 10.0.0.11:7410", `server relay1 127.0.0.1:${started3[0]?.port}`],
          ["server relay2 10.0.0.12:7410", `server relay2 127.0.0.1:${started3[1]?.port}`],
          ["server relay3 10.0.0.13:7410", `server relay3 127.0.0.1:${started3[2]?.port}`],
          ["server admin1 10.0.0.21:7420", `server admin1 127.0.0.1:${adminPort}`],
        ]);
        statsSocket = live.statsSocket;
        front = `https://127.0.0.1:${frontPort}`;
        adminFront = `https://127.0.0.1:${adminFrontPort}`;
        // Every health check passes: the relays' through the PROXY header they demand of HAProxy's
        // address, the admin API's through its database.
        await healthChecksPass(live.haproxy, statsSocket, [
          "relays/relay1",
          "relays/relay2",
          "relays/relay3",
          "admin-api/admin1",
        ]);
      } catch (error) {
        await stop();
        throw error;
      }
      return stop;
    });

    /** Requests each relay has been sent so far, by server name. */
    const sessionsPerRelay = async () =>
      Object.fromEntries(
        (await showStat(statsSocket))
          .filter((row) => row.pxname === "relays" && row.svname?.startsWith("relay"))
          .map((row) => [row.svname, Number(row.stot)]),
      );
    const connect = (route: string) => httpsCall(front, `/v1/connect?route=${route}`, tls.cert);

    it("sends every connection with one routing key to one relay, and different keys to several", async () => {
      const before = await sessionsPerRelay();
      for (let i = 0; i < 6; i++) expect((await connect("0123456789abcdef")).status).toBe(426);
      const after = await sessionsPerRelay();
      const grew = Object.keys(after).filter((name) => after[name] !== before[name]);
      expect(grew).toHaveLength(1);
      expect((after[grew[0] ?? ""] ?? 0) - (before[grew[0] ?? ""] ?? 0)).toBe(6);

      const spread = await sessionsPerRelay();
      for (let key = 0; key < 24; key++) await connect(`key${key}`);
      const afterSpread = await sessionsPerRelay();
      expect(
        Object.keys(afterSpread).filter((name) => afterSpread[name] !== spread[name]).length,
      ).toBeGreaterThan(1);
    });

    it("passes the data connections' path to the relays", async () => {
      // No session: the relay's own refusal, not HAProxy's rule.
      const answer = await httpsCall(front, "/v1/data?route=key1", tls.cert);
      expect(answer.body).not.toContain("Request forbidden by administrative rule");
    });

    /** Each of `paths` at `base` gets HAProxy's own 403, not an answer from behind it. */
    const expectRefusedByHaproxy = async (base: string, paths: readonly string[]) => {
      for (const path of paths) {
        const answer = await httpsCall(base, path, tls.cert);
        expect({ path, status: answer.status, body: answer.body }).toMatchObject({
          path,
          status: 403,
          body: expect.stringContaining("Request forbidden by administrative rule"),
        });
      }
    };

    it("refuses every path of the relays but /v1/connect and /v1/data, /metrics in any spelling", async () => {
      await expectRefusedByHaproxy(front, [
        "/metrics",
        "/healthz",
        "/x/../metrics",
        "/%6detrics",
        "/v1/connect/../../metrics",
      ]);
    });

    it("serves the admin API, refusing /metrics in any spelling the API would route", async () => {
      expect((await httpsCall(adminFront, "/health", tls.cert)).status).toBe(200);
      // HAProxy's refusal, not the API's own (the example lets 127.0.0.0/8 read /metrics).
      await expectRefusedByHaproxy(adminFront, [
        "/metrics",
        "/METRICS",
        "/%6detrics",
        "//metrics",
        "/health/../metrics",
        "/x/%2e%2e/metrics",
      ]);
    });

    it("shows the admin API the account manager's address, whatever X-Forwarded-For they send", async () => {
      const login = (forwardedFor?: string) =>
        httpsCall(adminFront, "/sessions", tls.cert, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}),
          },
          body: JSON.stringify({
            server: DEMO.serverHost,
            login: DEMO.adminLogin,
            password: DEMO.adminTemporaryPassword,
          }),
        });
      const allow = (cidrs: string[]) =>
        t.db
          .update(schema.contracts)
          .set({ adminAllowCidrs: cidrs })
          .where(eq(schema.contracts.serverHost, DEMO.serverHost));
      await allow([`${AGENT_ADDRESS}/32`]);
      expect((await login()).status).toBe(200);
      await allow(["203.0.113.0/24"]);
      expect((await login("203.0.113.9")).status).toBe(401);
    });

    it("sends a stopped relay's routing keys to another relay", async () => {
      const key = "fedcba9876543210";
      const before = await sessionsPerRelay();
      expect((await connect(key)).status).toBe(426);
      const after = await sessionsPerRelay();
      const holder = Object.keys(after).find((name) => after[name] !== before[name]) ?? "";
      const relay = relays[Number(holder.replace("relay", "")) - 1];
      if (!relay) throw new Error(`no relay behind ${holder}`);
      const exited = new Promise((resolve) => relay.child.once("exit", resolve));
      relay.child.kill("SIGTERM");
      await exited;
      // Whether HAProxy's check has seen it go yet or not: a refused connection is retried elsewhere.
      for (let i = 0; i < 4; i++) expect((await connect(key)).status).toBe(426);
    });
  },
);

describe.skipIf(!runs(HAPROXY))("deploy/haproxy/haproxy-tcp.cfg in front of a relay terminating TLS", () => {
  const t = useTestDatabase();
  let dir: string;
  let relayCert: Buffer;
  let front: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tsunagi-deploy-tcp-"));
    const started = programs();
    const stop = async () => {
      await started.stopAll();
      await rm(dir, { recursive: true, force: true });
    };
    try {
      // The relay's certificate is not HAProxy's: a client trusting only the relay's proves the TLS
      // session ends at the relay. Only agents' address may read /metrics, so an answer proves the
      // relay judged the address the PROXY header named, not HAProxy's.
      const relayTls = await mkdtemp(join(dir, "relay-"));
      await pemFile(relayTls);
      relayCert = await readFile(join(relayTls, "tls.crt"));
      const haproxyTls = await pemFile(await mkdtemp(join(dir, "haproxy-")));
      const { port } = await relayFromSource(
        started,
        exampleEnv("deploy/env/relay.env.example", {
          DATABASE_URL: t.url,
          HOST: "127.0.0.1",
          PORT: "0",
          TSUNAGI_INTERNAL_HOST: "127.0.0.1",
          TSUNAGI_INTERNAL_PORT: "0",
          TSUNAGI_TRUSTED_PROXIES: "127.0.0.1",
          TSUNAGI_TLS_CERT: join(relayTls, "tls.crt"),
          TSUNAGI_TLS_KEY: join(relayTls, "tls.key"),
          TSUNAGI_METRICS_ALLOWED: `${AGENT_ADDRESS}/32`,
        }),
      );
      const frontPort = await freePort();
      // One relay behind all three server lines; the admin API is not started (its check fails).
      const live = await haproxyFrom(started, "haproxy-tcp.cfg", dir, haproxyTls.pem, [
        ["bind :443\n", `bind 127.0.0.1:${frontPort}\n`],
        ["bind :7443 ssl", `bind 127.0.0.1:${await freePort()} ssl`],
        ["server relay1 10.0.0.11:7410", `server relay1 127.0.0.1:${port}`],
        ["server relay2 10.0.0.12:7410", `server relay2 127.0.0.1:${port}`],
        ["server relay3 10.0.0.13:7410", `server relay3 127.0.0.1:${port}`],
        ["server admin1 10.0.0.21:7420", `server admin1 127.0.0.1:${await freePort()}`],
      ]);
      front = `https://127.0.0.1:${frontPort}`;
      // The checks speak TLS to the relay after the PROXY header it demands of HAProxy's address.
      await healthChecksPass(live.haproxy, live.statsSocket, [
        "relays/relay1",
        "relays/relay2",
        "relays/relay3",
      ]);
    } catch (error) {
      await stop();
      throw error;
    }
    return stop;
  });

  it("passes TLS through to the relay, which sees the agent's address", async () => {
    expect(await httpsCall(front, "/healthz", relayCert)).toMatchObject({ status: 200 });
    expect((await httpsCall(front, "/metrics", relayCert)).status).toBe(200);
    expect((await httpsCall(front, "/metrics", relayCert, { from: "127.0.0.5" })).status).toBe(403);
  });
});
