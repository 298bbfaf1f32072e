/**
 * The fallback to the multiplexed path (docs/protocol.md "Data connections"): behind a proxy that
 * passes WebSockets but refuses the data upgrade — with a 403, or by resetting the connection — the
 * agents notice it themselves and carry every channel on the one WebSocket, byte-exact; straight to
 * the relay the same agents splice; `--data-path mux` never dials a data connection, and a relay
 * that offers none leaves `auto` agents on the multiplexed path.
 */
import { randomBytes } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import type { DataPathMode } from "@tsunagi/agent";
import { describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay } from "../src/server.js";
import {
  agentBase,
  echoThrough,
  eventually,
  openSessions,
  sha,
  testConfig,
  usbNdlAgents,
  useEchoServer,
  useStack,
} from "./helpers.js";

const stack = useStack();
const echo = useEchoServer();

/**
 * An HTTP proxy in front of the relay that passes WebSocket upgrades (the control connection) and
 * answers anything else — the data upgrade — with `refusal`: a 403, or a reset.
 */
async function webSocketOnlyProxy(relayPort: number, refusal: "403" | "reset") {
  const refused: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (inbound) => {
    sockets.add(inbound);
    inbound.on("error", () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      inbound.off("data", onData);
      inbound.pause();
      const upgrade = /\r\nupgrade:\s*([^\r\n]+)/i.exec(head.subarray(0, end).toString("latin1"))?.[1];
      if (upgrade?.trim().toLowerCase() !== "websocket") {
        refused.push(upgrade ?? "none");
        if (refusal === "reset") inbound.resetAndDestroy();
        else inbound.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
      }
      const outbound = connect({ host: "127.0.0.1", port: relayPort, allowHalfOpen: true });
      sockets.add(outbound);
      outbound.on("error", () => inbound.destroy());
      inbound.once("close", () => outbound.destroy());
      outbound.once("close", () => inbound.destroy());
      outbound.write(head);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
      inbound.resume();
    };
    inbound.on("data", onData);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    refused,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A client and its viewer (usb.ndl) through `url`; 20 channels of 128 KiB each way, then both stop. */
async function carry(url: string, dataPath?: DataPathMode, before?: () => Promise<void>) {
  const notices: string[] = [];
  const options = {
    ...agentBase(url, "usb.ndl"),
    ...(dataPath ? { dataPath } : {}),
    onNotice: (text: string) => notices.push(text),
  };
  const { client, viewer } = await usbNdlAgents(options, echo.port);
  await before?.();
  const payloads = Array.from({ length: 20 }, () => randomBytes(128 * 1024));
  const backs = await Promise.all(payloads.map((p) => echoThrough(viewer.listening.port, p)));
  const exact = backs.every((back, i) => sha(back) === sha(payloads[i] as Buffer));
  await viewer.close();
  await client.stop();
  await eventually(async () => (await openSessions(stack.t)).length === 0);
  return { exact, notices };
}

async function relayOffering(enabled = true) {
  const relay = createRelay({ db: stack.t.db, config: testConfig, log: silentLog, data: { enabled } });
  const { url, port } = await relay.listen(0, "127.0.0.1");
  return { relay, url, port };
}

describe("behind a proxy that passes only WebSockets", () => {
  for (const refusal of ["403", "reset"] as const) {
    it(`falls back to the multiplexed path by itself when the data upgrade meets a ${refusal}`, async () => {
      const { relay, port } = await relayOffering();
      const proxy = await webSocketOnlyProxy(port, refusal);
      const { exact, notices } = await carry(proxy.url);
      expect(exact).toBe(true);
      // Both agents tried, were refused, said so once each, and nothing was spliced or parked.
      expect(proxy.refused.length).toBeGreaterThanOrEqual(2);
      expect(proxy.refused.every((u) => u === "tsunagi-data/1")).toBe(true);
      expect(notices.filter((n) => n.includes("channels use the multiplexed path"))).toHaveLength(2);
      expect(relay.stats().data.joined).toBe(0);
      proxy.close();
      await relay.close();
    });
  }
});

describe("straight to the relay", () => {
  it("splices in auto mode once the pool is ready, and multiplexes what finds it empty", async () => {
    const { relay, url } = await relayOffering();
    // Once both agents have parked their two data connections, channels are spliced: at least the
    // two the viewer holds; in a burst, one that finds its pool empty is multiplexed rather than wait.
    const { exact, notices } = await carry(url, undefined, () =>
      eventually(() => relay.stats().data.parked === 4),
    );
    expect(exact).toBe(true);
    expect(relay.stats().data.joined).toBeGreaterThanOrEqual(2);
    expect(notices.some((n) => n.includes("multiplexed"))).toBe(false);
    await relay.close();
  });

  it("never dials a data connection with --data-path mux", async () => {
    const { relay, url } = await relayOffering();
    let parked = -1;
    const { exact } = await carry(url, "mux", async () => {
      parked = relay.stats().data.parked;
    });
    expect(parked).toBe(0);
    expect(exact).toBe(true);
    expect(relay.stats().data.joined).toBe(0);
    expect(relay.stats().data.peakHeldBytes).toBe(0);
    await relay.close();
  });

  it("stays multiplexed when the relay offers no data connections", async () => {
    const { relay, url } = await relayOffering(false);
    const { exact } = await carry(url, "auto");
    expect(exact).toBe(true);
    expect(relay.stats().data.joined).toBe(0);
    await relay.close();
  });
});
