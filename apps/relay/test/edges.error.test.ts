/**
 * The relay's edges: malformed and oversize frames, rate limits, the hash queue bound, a database that
 * drops and comes back, and the constants both ends of the tunnel must agree on.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import * as agent from "@tsunagi/agent";
import { RelayError, startViewer } from "@tsunagi/agent";
import { WINDOW_CHANNEL, WINDOW_FRAME_BYTES } from "@tsunagi/core/frames";
import { MAX_CONTROL_MESSAGE_BYTES } from "@tsunagi/core/wire";
import { connect } from "@tsunagi/db";
import { freePort } from "@tsunagi/db/server";
import { DEMO } from "@tsunagi/fixtures";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { agentBase, historyOf, startRelay, useStack } from "./helpers.js";

const stack = useStack();

/** Opens a raw control connection, sends `frames`, and returns what came back and the close code. */
function raw(
  url: string,
  frames: (string | Buffer)[],
  headers: Record<string, string> = {},
): Promise<{ messages: unknown[]; code: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/v1/connect`, { headers });
    const messages: unknown[] = [];
    ws.on("open", () => {
      for (const f of frames) ws.send(f);
    });
    ws.on("message", (d) => messages.push(JSON.parse(d.toString())));
    ws.on("close", (code) => resolve({ messages, code }));
    ws.on("error", reject);
  });
}

const hello = (user: string, extra: object = {}) =>
  JSON.stringify({
    type: "hello",
    role: "client",
    server: "asp1",
    user,
    password: DEMO.userPassword,
    version: "t",
    ...extra,
  });

describe("malformed and oversize frames", () => {
  it("closes on a frame that isn't JSON, with a clear error", async () => {
    const { messages, code } = await raw(stack.url, ["{not json"]);
    expect(code).toBe(1008);
    expect(messages).toEqual([{ type: "error", code: "malformed", message: "Malformed message: not JSON" }]);
  });

  it("closes on a message that fails the schema, naming the field", async () => {
    const { messages, code } = await raw(stack.url, [hello("usb.ndl", { role: "admin" })]);
    expect(code).toBe(1008);
    expect((messages[0] as { message: string }).message).toMatch(/^Malformed message: role/);
  });

  it("closes on an oversize control message", async () => {
    const { messages, code } = await raw(stack.url, [
      JSON.stringify({ type: "ping", pad: "x".repeat(MAX_CONTROL_MESSAGE_BYTES) }),
    ]);
    expect(code).toBe(1009);
    expect(messages).toMatchObject([{ type: "error", code: "oversize" }]);
  });

  it("closes on a binary frame before authentication", async () => {
    const { code } = await raw(stack.url, [Buffer.from([0, 0, 0, 1, 42])]);
    expect(code).toBe(1008);
  });

  it("refuses a frame beyond the transport limit", async () => {
    const { code } = await raw(stack.url, [Buffer.alloc(stack.relay.config.maxBinaryFrameBytes + 1)]);
    expect(code).toBe(1009);
  });
});

describe("limits", () => {
  it("rate-limits attempts per user before verifying the password, without a history row", async () => {
    const limited = await startRelay(stack.t, { rateLimitPerUser: { burst: 2, perSecond: 0.001 } });
    try {
      const before = (await historyOf(stack.t, "usb.xdl")).length;
      const attempt = () => raw(limited.url, [hello("usb.xdl", { password: "wrong" })]);
      expect((await attempt()).code).toBe(4000);
      expect((await attempt()).code).toBe(4000);
      const third = await attempt();
      expect(third.code).toBe(1013);
      expect(third.messages).toMatchObject([{ type: "error", code: "rate-limited" }]);
      expect((await historyOf(stack.t, "usb.xdl")).length).toBe(before + 2);
    } finally {
      await limited.relay.close();
    }
  });

  it("rate-limits per source address across user names", async () => {
    const limited = await startRelay(stack.t, { rateLimitPerAddress: { burst: 1, perSecond: 0.001 } });
    try {
      expect((await raw(limited.url, [hello("usb.ex", { password: "wrong" })])).code).toBe(4000);
      expect((await raw(limited.url, [hello("usb.xdl", { password: "wrong" })])).code).toBe(1013);
    } finally {
      await limited.relay.close();
    }
  });

  it("counts an IPv6 source by its /64: another address of the same network shares the bucket", async () => {
    // The test's loopback peer is a trusted proxy, so X-Forwarded-For names the IPv6 source.
    const limited = await startRelay(stack.t, {
      trustedProxies: ["127.0.0.1"],
      rateLimitPerAddress: { burst: 1, perSecond: 0.001 },
    });
    try {
      const from = (address: string) => ({ "x-forwarded-for": address });
      const wrong = hello("usb.ex", { password: "wrong" });
      expect((await raw(limited.url, [wrong], from("2001:db8:1:2::1"))).code).toBe(4000);
      expect((await raw(limited.url, [wrong], from("2001:db8:1:2:ffff::9"))).code).toBe(1013);
      // Another /64 has a bucket of its own.
      expect((await raw(limited.url, [wrong], from("2001:db8:1:3::1"))).code).toBe(4000);
    } finally {
      await limited.relay.close();
    }
  });

  it("bounds concurrent password verifications and refuses beyond the queue", async () => {
    const bounded = await startRelay(stack.t, { maxConcurrentHashes: 1, maxQueuedHashes: 1 });
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, () => raw(bounded.url, [hello("nobody", { password: "x" })])),
      );
      const codes = results.map((r) => r.code).sort();
      // One verifying, one queued: both answered as failures; the rest refused as busy.
      expect(codes.filter((c) => c === 4000).length).toBeGreaterThanOrEqual(2);
      expect(codes.filter((c) => c === 1013).length).toBeGreaterThanOrEqual(1);
      expect(bounded.relay.stats().hashesActive).toBe(0);
    } finally {
      await bounded.relay.close();
    }
  });
});

/** A TCP pass-through in front of the database that can be cut and restored, like a network outage. */
async function outageProxy(target: { host: string; port: number }) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const up = () =>
    new Promise<void>((resolve) => {
      server = createServer((inbound) => {
        const outbound = tcpConnect(target);
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on("error", () => {});
          s.on("close", () => sockets.delete(s));
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      server.listen(port, "127.0.0.1", resolve);
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server?.close(() => resolve());
    });
  await up();
  return { port, up, down };
}

describe("database outage", () => {
  it("answers 'service unavailable' (not an authentication error) while the database is away, and recovers by itself", async () => {
    const target = new URL(stack.t.url);
    const proxy = await outageProxy({ host: target.hostname, port: Number(target.port) });
    const viaProxy = new URL(stack.t.url);
    viaProxy.port = String(proxy.port);
    const conn = connect(viaProxy.toString());
    const { createRelay } = await import("../src/server.js");
    const { silentLog } = await import("../src/log.js");
    const { testConfig } = await import("./helpers.js");
    const relay = createRelay({ db: conn.db, config: testConfig, log: silentLog });
    const { url } = await relay.listen(0);
    const viewer = () =>
      startViewer({
        ...agentBase(url, "usb.ndl"),
        product: "usb-ndl",
        usbKeySerial: "NDL-0001-0001",
        listen: { host: "127.0.0.1", port: 0 },
      });
    try {
      await proxy.down();
      const error = await viewer().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RelayError);
      expect((error as RelayError).code).toBe("unavailable");
      expect((error as Error).message).not.toMatch(/reference code/);

      await proxy.up();
      const v = await viewer();
      expect(v.sessionId).toMatch(/[0-9a-f-]{36}/);
      await v.close();
    } finally {
      await relay.close();
      await proxy.down();
      await conn.close();
    }
  });
});

describe("shared constants", () => {
  it("the agents and the relay agree on the window frame", () => {
    expect(agent.WINDOW_CHANNEL).toBe(WINDOW_CHANNEL);
    expect(agent.WINDOW_FRAME_BYTES).toBe(WINDOW_FRAME_BYTES);
    expect(agent.MAX_FRAME_PAYLOAD + 4).toBeLessThanOrEqual(stack.relay.config.maxBinaryFrameBytes);
  });
});
