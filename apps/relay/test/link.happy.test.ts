/**
 * Two relays of one fleet on one database: a viewer on one and its client on the other still pair,
 * over the link between the relays; the channel is byte-exact both ways, many at once, closes at both
 * ends, and the far relay records the viewer on the client's history row. A relay's node is
 * registered while it runs and gone once it closes.
 */
import { randomBytes } from "node:crypto";
import { type Client, startClient, startViewer, type Viewer } from "@tsunagi/agent";
import { beforeAndAfterAll } from "@tsunagi/core/testing";
import { schema } from "@tsunagi/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay, type Relay } from "../src/server.js";
import {
  agentBase,
  echoThrough,
  eventually,
  historyOf,
  selfSigned,
  sha,
  startRelay,
  testConfig,
  useEchoServer,
  useStack,
} from "./helpers.js";

const stack = useStack();
const echo = useEchoServer();
/** The second relay, on the stack's database. */
const second = beforeAndAfterAll(
  () => startRelay(stack.t),
  ({ relay }) => relay.close(),
);
let client: Client;
let viewer: Viewer;

beforeAll(async () => {
  // The client on the second relay, the viewer on the first: only the link can join them.
  client = startClient({
    ...agentBase(second.url, "usb.ndl"),
    forward: { host: "127.0.0.1", port: echo.port },
  });
  await client.ready;
  viewer = await startViewer({
    ...agentBase(stack.url, "usb.ndl"),
    product: "usb-ndl",
    usbKeySerial: "NDL-0001-0001",
    listen: { host: "127.0.0.1", port: 0 },
  });
});
afterAll(async () => {
  await viewer?.close();
  await client?.stop();
});

const stats = (relay: Relay) => relay.stats();

describe("pairing across relays", () => {
  it("registers both relays as live nodes", async () => {
    const nodes = await stack.t.db.select().from(schema.relayNodes);
    expect(nodes.map((n) => n.id).sort()).toEqual([stack.relay.nodeId, second.relay.nodeId].sort());
    expect(stack.relay.nodeAlive()).toBe(true);
  });

  it("carries 1 MiB byte-exact from a viewer on one relay to a client on another", async () => {
    const payload = randomBytes(1024 * 1024);
    const back = await echoThrough(viewer.listening.port, payload);
    expect(sha(back)).toBe(sha(payload));
    // One link, dialled by the viewer's relay and accepted by the client's.
    expect(stats(stack.relay).links).toBe(1);
    expect(stats(second.relay).links).toBe(1);
  });

  it("carries 20 channels at once over the one link, none mixed with another", async () => {
    const payloads = Array.from({ length: 20 }, () => randomBytes(128 * 1024));
    const backs = await Promise.all(payloads.map((p) => echoThrough(viewer.listening.port, p)));
    for (const [i, back] of backs.entries()) expect(sha(back)).toBe(sha(payloads[i] as Buffer));
    await eventually(() => client.stats().channels === 0 && viewer.stats().channels === 0);
    expect(stats(stack.relay).links).toBe(1);
  });

  it("names the viewer on the client's history row, written by the client's relay", async () => {
    const [row] = (await historyOf(stack.t, "usb.ndl", "client")).filter((r) => r.endedAt === null);
    expect(row?.peerUserName).toBe("usb.ndl");
  });

  it("refuses a channel whose client is connected nowhere, as on one relay", async () => {
    await client.stop();
    await eventually(async () => (await stack.t.db.select().from(schema.activeSessions)).length === 1);
    const back = await echoThrough(viewer.listening.port, Buffer.from("nobody there"));
    expect(back.length).toBe(0);
  });
});

describe("a relay that closes", () => {
  it("leaves the registry, and its links go down at the other end", async () => {
    const third = await startRelay(stack.t);
    const id = third.relay.nodeId;
    expect((await stack.t.db.select().from(schema.relayNodes)).some((n) => n.id === id)).toBe(true);
    await third.relay.close();
    expect((await stack.t.db.select().from(schema.relayNodes)).some((n) => n.id === id)).toBe(false);
    expect(third.relay.nodeAlive()).toBe(false);
  });
});

describe("a link between relays that speak TLS", () => {
  it("runs over TLS, each relay with its own certificate, and carries bytes exactly", async () => {
    const [certA, certB] = await Promise.all([selfSigned("relay-a"), selfSigned("relay-b")]);
    const a = createRelay({ db: stack.t.db, config: testConfig, log: silentLog, tls: certA });
    const b = createRelay({ db: stack.t.db, config: testConfig, log: silentLog, tls: certB });
    const [onA, onB] = await Promise.all([a.listen(0), b.listen(0)]);
    expect(onB.internalUrl).toMatch(/^wss:/);
    const tlsClient = startClient({
      ...agentBase(onB.url, "usb.xdl"),
      ca: certB.cert,
      forward: { host: "127.0.0.1", port: echo.port },
      reconnect: false,
    });
    try {
      await tlsClient.ready;
      const tlsViewer = await startViewer({
        ...agentBase(onA.url, "usb.xdl"),
        ca: certA.cert,
        product: "usb-xdl",
        usbKeySerial: "XDL-0002-0001",
        listen: { host: "127.0.0.1", port: 0 },
      });
      const payload = randomBytes(256 * 1024);
      expect(sha(await echoThrough(tlsViewer.listening.port, payload))).toBe(sha(payload));
      expect(a.stats().links).toBe(1);
      await tlsViewer.close();
    } finally {
      await tlsClient.stop();
      await a.close();
      await b.close();
    }
  });
});
