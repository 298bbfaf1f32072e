/**
 * Debian's HAProxy for the relay's tests: whether it is installed, a free loopback port for its
 * frontends, and a running instance from a config the test writes (into a temp dir), up once every
 * frontend accepts. .ci/run installs it; a test without it is skipped with a line saying so.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { eventually, tempDir } from "./helpers.js";

export const HAPROXY = "/usr/sbin/haproxy";

/**
 * Whether the HAProxy tests run: when /usr/sbin/haproxy is there, and always in CI (where a missing
 * binary must fail, not skip). Prints why a test file is skipped.
 */
export function haproxyPresent(testName: string): boolean {
  const present = existsSync(HAPROXY);
  if (!present && !process.env.CI) {
    console.log(`${testName}: ${HAPROXY} is absent, skipped (apt-get install haproxy; CI installs it)`);
  }
  return present || Boolean(process.env.CI);
}

/** A port free on 127.0.0.1 right now (HAProxy's frontends cannot bind port 0 and say which). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(true)).once("error", () => resolve(false));
    socket.once("close", () => socket.destroy());
    socket.once("connect", () => socket.end());
  });

/**
 * A HAProxy configuration passing TCP from 127.0.0.1:`front` to the relay at `relayPort`, with a PROXY
 * v2 header and 127.0.0.3 as the source of the connection the relay sees.
 */
export function tcpProxyConfig(front: number, relayPort: number | string): string[] {
  return [
    "global",
    "  log stderr format short local0",
    "defaults",
    "  mode tcp",
    "  log global",
    "  timeout connect 5s",
    "  timeout client 60s",
    "  timeout server 60s",
    "frontend relays",
    `  bind 127.0.0.1:${front}`,
    "  default_backend relay",
    "backend relay",
    `  server r1 127.0.0.1:${relayPort} send-proxy-v2 source 127.0.0.3`,
  ];
}

export interface Haproxy {
  readonly child: ChildProcess;
  /** What HAProxy wrote so far (its log goes to stderr), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Writes `config` (lines) to a temp dir and runs HAProxy in the foreground on it; resolves once each
 * of `frontendPorts` accepts, or throws with HAProxy's own output.
 */
export async function startHaproxy(
  config: readonly string[],
  frontendPorts: readonly number[],
): Promise<Haproxy> {
  const file = join(await tempDir(), "haproxy.cfg");
  await writeFile(file, [...config, ""].join("\n"));
  const child = spawn(HAPROXY, ["-db", "-f", file], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (text += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
  };
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}`);
      for (const port of frontendPorts) if (!(await accepts(port))) return false;
      return true;
    }, 20_000);
  } catch (error) {
    await stop();
    throw new Error(`haproxy did not listen: ${text}`, { cause: error });
  }
  return { child, log: () => text, stop };
}
