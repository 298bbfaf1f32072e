/**
 * Through real HAProxy (Debian's, `send-proxy-v2`): the relay sees the agent's address, not HAProxy's,
 * so an IP allow-list holds (docs/protocol.md "Transport"), whether the relay speaks plain WebSocket or
 * terminates TLS itself behind HAProxy in TCP mode. HAProxy's backend connections leave from
 * 127.0.0.3, the relays' only trusted proxy, while the agents connect from 127.0.0.1.
 */
import { startViewer } from "@tsunagi/agent";
import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay } from "../src/server.js";
import { freePort, type Haproxy, haproxyPresent, startHaproxy, tcpProxyConfig } from "./haproxy.js";
import {
  agentBase,
  failureOf,
  historyOf,
  identityPath,
  selfSigned,
  startRelay,
  testConfig,
  useStack,
} from "./helpers.js";

const present = haproxyPresent("haproxy.e2e");

describe.skipIf(!present)("a viewer through HAProxy with send-proxy-v2", () => {
  const stack = useStack();
  let haproxy: Haproxy | undefined;
  let url: string;
  let tlsUrl: string;
  let cert: { cert: Buffer; key: Buffer };
  // One device throughout: the terminal slot it registers on the first login must match later ones.
  let identityFile: string;
  let closeRelays: () => Promise<void>;

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
    haproxy = await startHaproxy(
      [
        ...tcpProxyConfig(port, relayPort),
        "frontend tls-relays",
        `  bind 127.0.0.1:${tlsFrontPort}`,
        "  default_backend tls-relay",
        "backend tls-relay",
        `  server r2 127.0.0.1:${tlsPort} send-proxy-v2 source 127.0.0.3`,
      ],
      [port, tlsFrontPort],
    );
    url = `ws://127.0.0.1:${port}`;
    tlsUrl = `wss://127.0.0.1:${tlsFrontPort}`;
  });
  afterAll(async () => {
    await haproxy?.stop();
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
