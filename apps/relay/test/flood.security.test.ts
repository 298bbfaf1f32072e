/**
 * Connections that never read what the relay sends them: a raw WebSocket floods pings (control
 * `{"type":"ping"}` and protocol-level ping frames) before and after its hello, or has a tunnel
 * streamed towards it by a client. What the relay holds queued towards such a connection stays bounded
 * (docs/protocol.md "Limits"), and a connection whose queue passes the cap is closed and logged.
 * The relay's own accounting (`stats().peakQueuedBytes`, the largest `bufferedAmount` seen after any
 * write towards one connection) is the measure; the kernel's socket buffers are not the relay's memory.
 */
import { type AddressInfo, createServer } from "node:net";
import { type Client, startClient } from "@tsunagi/agent";
import type { Product } from "@tsunagi/core/domain";
import { describe, expect, it } from "vitest";
import type WebSocket from "ws";
import type { RelayConfig } from "../src/config.js";
import { createRelay, type Relay } from "../src/server.js";
import {
  agentBase,
  eventually,
  type RawConnection,
  rawConnection,
  testConfig,
  usbViewerHello,
  useStack,
} from "./helpers.js";

const stack = useStack();

type Event = { event: string; [key: string]: unknown };

/** A relay on the stack's database whose log the test reads. */
async function loggedRelay(
  config: Partial<RelayConfig>,
): Promise<{ relay: Relay; url: string; events: Event[] }> {
  const events: Event[] = [];
  const relay = createRelay({
    db: stack.t.db,
    config: { ...testConfig, ...config },
    log: (entry) => void events.push(entry as Event),
  });
  const { url } = await relay.listen(0, "127.0.0.1");
  return { relay, url, events };
}

/** A connection that answers no protocol-level ping: it reads nothing the relay sends it. */
const silentConnection = (url: string) => rawConnection(url, { autoPong: false });

/** The real hello of a USB viewer; resolves once the relay answered `result`. */
async function login(
  raw: RawConnection,
  user: string,
  product: Product,
  usbKeySerial: string,
): Promise<void> {
  raw.send(usbViewerHello(user, product, usbKeySerial));
  await eventually(() => raw.messages.some((m) => m.type === "result"));
  expect(raw.messages.find((m) => m.type === "result")).toMatchObject({ ok: true });
}

/** Stops reading, then sends `count` control pings (or protocol-level pings of the largest payload). */
async function floodPings(ws: WebSocket, count: number, kind: "control" | "protocol"): Promise<void> {
  ws.pause();
  for (let i = 0; i < count; i++) {
    if (kind === "control") ws.send('{"type":"ping"}');
    else ws.ping(Buffer.alloc(125, 0x70));
    if (i % 5_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

// 400k pongs come to ~7 MB, beyond what the kernel's socket buffers take on loopback (tcp_wmem at
// most 4 MiB on Linux by default), so whatever the relay queues itself shows.
const PINGS = 400_000;
const HIGH_WATER = 64 * 1024;

describe("a connection that floods pings and never reads", () => {
  it.each([
    ["control", "before"],
    ["control", "after"],
    ["protocol", "before"],
    ["protocol", "after"],
  ] as const)(
    "%s pings %s its hello: nothing queued towards it grows past the cap, and it is closed",
    async (kind, hello) => {
      // Long handshake and heartbeat windows, so the relay reads the whole flood before it would drop
      // a connection that sends no hello or answers no ping.
      const { relay, url, events } = await loggedRelay({
        peerHighWaterBytes: HIGH_WATER,
        handshakeTimeoutMs: 120_000,
        heartbeatIntervalMs: 60_000,
        staleAfterSeconds: 120,
      });
      const raw = await silentConnection(url);
      try {
        if (hello === "after") await login(raw, "usb.ex", "usb-ex", "EX-0003-0001");
        await floodPings(raw.ws, PINGS, kind);
        // A marker after the flood: once the relay logs it, it has read every ping before it.
        raw.ws.send("not json");
        await eventually(
          () => events.some((e) => e.event === "protocol-error" && e.detail === "not JSON"),
          60_000,
        );
        expect(relay.stats().peakQueuedBytes).toBeLessThanOrEqual(2 * HIGH_WATER);
        raw.ws.resume();
        expect((await raw.closed).code).toBe(1008);
      } finally {
        raw.ws.terminate();
        await relay.close();
      }
    },
    120_000,
  );
});

describe("the cap on bytes queued towards one connection", () => {
  it("drops a viewer that reads none of what its client streams, logged, with the queue at the cap", async () => {
    // The backstop alone: a high water mark far above the cap, so no sender is ever paused, and a
    // TCP service behind the client that pours 8 MiB into each connection.
    const cap = 512 * 1024;
    const { relay, url, events } = await loggedRelay({
      peerHighWaterBytes: 1024 * 1024 * 1024,
      maxQueuedBytes: cap,
    });
    const hose = createServer((socket) => {
      socket.on("error", () => {});
      socket.end(Buffer.alloc(8 * 1024 * 1024, 0x5a));
    });
    await new Promise<void>((resolve) => hose.listen(0, "127.0.0.1", resolve));
    const port = (hose.address() as AddressInfo).port;
    let client: Client | undefined;
    const raw = await silentConnection(url);
    try {
      client = startClient({
        ...agentBase(url, "usb.xdl"),
        forward: { host: "127.0.0.1", port },
        reconnect: false,
      });
      await client.ready;
      await login(raw, "usb.xdl", "usb-xdl", "XDL-0002-0001");
      raw.ws.pause();
      // Four channels: up to a 4 MiB window each comes towards a viewer that reads none of it.
      for (let channel = 1; channel <= 4; channel++) {
        raw.send({ type: "open", channelId: channel });
      }
      await eventually(() => events.some((e) => e.event === "queue-overflow"), 60_000);
      const overflow = events.find((e) => e.event === "queue-overflow");
      expect(overflow).toMatchObject({ code: 1008, role: "viewer", user: "usb.xdl", cap });
      // Dropped at the first write that passed the cap: over it by at most that one frame.
      expect(relay.stats().peakQueuedBytes).toBeLessThanOrEqual(cap + relay.config.maxBinaryFrameBytes + 16);
      raw.ws.resume();
      await raw.closed;
      // The client stays.
      await eventually(() => relay.stats().peers === 1);
    } finally {
      raw.ws.terminate();
      await client?.stop();
      hose.close();
      await relay.close();
    }
  }, 120_000);
});
