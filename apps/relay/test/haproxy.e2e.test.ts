/**
 * Through real HAProxy (Debian's, `send-proxy-v2`): the relay sees the agent's address, not HAProxy's,
 * so an IP allow-list holds (docs/protocol.md "Transport"), whether the relay speaks plain WebSocket or
 * terminates TLS itself behind HAProxy in TCP mode. HAProxy's backend connections leave from
 * 127.0.0.3, the relays' only trusted proxy, while the agents connect from 127.0.0.1.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { startViewer } from "@tsunagi/agent";
import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay } from "../src/server.js";
import {
  agentBase,
  eventually,
  failureOf,
  historyOf,
  identityPath,
  selfSigned,
  startRelay,
  tempDir,
  testConfig,
  useStack,
} from "./helpers.js";

const HAPROXY = "/usr/sbin/haproxy";
const present = existsSync(HAPROXY);
if (!present && !process.env.CI) {
  console.log(`haproxy.e2e: ${HAPROXY} is absent, skipped (apt-get install haproxy; CI installs it)`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => resolve(true)).once("error", () => resolve(false));
    socket.once("close", () => socket.destroy());
    socket.once("connect", () => socket.end());
  });

describe.skipIf(!present && !process.env.CI)("a viewer through HAProxy with send-proxy-v2", () => {
  const stack = useStack();
  let haproxy: ChildProcess | undefined;
  let url: string;
  let tlsUrl: string;
  let cert: { cert: Buffer; key: Buffer };
  // One device throughout: the terminal slot it registers on the first login must match later ones.
  let identityFile: string;
  let closeRelays: () => Promise<void>;
  let log = "";

  beforeAll(async () => {
    const proxied = { trustedProxies: ["127.0.0.3"], proxyProtocol: true };
    const relay = await startRelay(stack.t, proxied);
    cert = await selfSigned("relay");
    identityFile = await identityPath();
    const tlsRelay = createRelay({
      db: stack.t.db,
      config: { ...testConfig, ...proxied },
      log: silentLog,
      tls: cert,
    });
    const tlsPort = (await tlsRelay.listen(0, "127.0.0.1")).port;
    closeRelays = async () => {
      await relay.relay.close();
      await tlsRelay.close();
    };
    const relayPort = new URL(relay.url).port;
    const port = await freePort();
    const tlsFrontPort = await freePort();
    const config = join(await tempDir(), "haproxy.cfg");
    await writeFile(
      config,
      [
        "global",
        "  log stderr format short local0",
        "defaults",
        "  mode tcp",
        "  log global",
        "  timeout connect 5s",
        "  timeout client 60s",
        "  timeout server 60s",
        "frontend relays",
        `  bind 127.0.0.1:${port}`,
        "  default_backend relay",
        "backend relay",
        `  server r1 127.0.0.1:${relayPort} send-proxy-v2 source 127.0.0.3`,
        "frontend tls-relays",
        `  bind 127.0.0.1:${tlsFrontPort}`,
        "  default_backend tls-relay",
        "backend tls-relay",
        `  server r2 127.0.0.1:${tlsPort} send-proxy-v2 source 127.0.0.3`,
        "",
      ].join("\n"),
    );
    haproxy = spawn(HAPROXY, ["-db", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
    haproxy.stdout?.on("data", (d: Buffer) => (log += d.toString()));
    haproxy.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    await eventually(async () => (await accepts(port)) && (await accepts(tlsFrontPort)), 20_000).catch(
      (error: unknown) => {
        throw new Error(`haproxy did not listen: ${log}`, { cause: error });
      },
    );
    url = `ws://127.0.0.1:${port}`;
    tlsUrl = `wss://127.0.0.1:${tlsFrontPort}`;
  });
  afterAll(async () => {
    haproxy?.kill();
    await closeRelays?.();
  });

  const allowViewers = (ranges: string[]) =>
    stack.t.db
      .update(schema.users)
      .set({ ipAllowViewer: ranges })
      .where(and(eq(schema.users.userName, "ip.limited"), eq(schema.users.serverHost, DEMO.serverHost)));
  const viewer = async (through = url) =>
    startViewer({
      ...agentBase(through, "ip.limited"),
      ...(through === tlsUrl ? { ca: cert.cert } : {}),
      product: "terminal-ndl-s",
      identityFile,
      listen: { host: "127.0.0.1", port: 0 },
    });
  const lastRow = async () => (await historyOf(stack.t, "ip.limited", "viewer")).at(-1);

  it("is admitted by an allow-list naming the agent's address, recorded as that address", async () => {
    await allowViewers(["127.0.0.1/32"]);
    const v = await viewer();
    try {
      expect(await lastRow()).toMatchObject({ result: "success", sourceAddress: "127.0.0.1" });
    } finally {
      await v.close();
    }
  });

  it("is refused (40200) by an allow-list naming only HAProxy's address", async () => {
    await allowViewers(["127.0.0.3/32"]);
    await failureOf(viewer());
    expect(await lastRow()).toMatchObject({
      result: "failure",
      reasonCode: 40200,
      sourceAddress: "127.0.0.1",
    });
  });

  it("holds when the relay terminates TLS itself behind HAProxy (TCP mode)", async () => {
    await allowViewers(["127.0.0.1/32"]);
    const v = await viewer(tlsUrl);
    try {
      expect(await lastRow()).toMatchObject({ result: "success", sourceAddress: "127.0.0.1" });
    } finally {
      await v.close();
    }
    await allowViewers(["127.0.0.3/32"]);
    await failureOf(viewer(tlsUrl));
    expect(await lastRow()).toMatchObject({
      result: "failure",
      reasonCode: 40200,
      sourceAddress: "127.0.0.1",
    });
  });
});
