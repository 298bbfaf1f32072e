/**
 * Draining a relay (SIGTERM in production): it stops listening, sends every agent elsewhere with
 * close code 4010 once its lease is released — at once when idle, when its channels are gone
 * otherwise, at the deadline at the latest — and then closes, leaving the registry. The agents come
 * back through the balancer on another relay with no failed login.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { startClient, startViewer } from "@tsunagi/agent";
import { schema } from "@tsunagi/db";
import { eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import type { Log } from "../src/log.js";
import { createRelay } from "../src/server.js";
import {
  agentBase,
  echoServer,
  eventually,
  historyOf,
  rawConnection,
  startRelay,
  testConfig,
  useStack,
} from "./helpers.js";

const stack = useStack();
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

/**
 * A balancer as HAProxy with `option redispatch` behaves for these tests: each connection goes to the
 * first backend that accepts it.
 */
async function balancer(backends: () => number[]): Promise<{ port: number; server: Server }> {
  const server = createServer((inbound: Socket) => {
    inbound.pause();
    const tryNext = (rest: number[]) => {
      const [port, ...others] = rest;
      if (port === undefined) return inbound.destroy();
      const outbound = connect({ host: "127.0.0.1", port });
      outbound.once("connect", () => {
        outbound.off("error", fallBack);
        outbound.on("error", () => inbound.destroy());
        inbound.on("error", () => outbound.destroy());
        inbound.pipe(outbound).pipe(inbound);
        inbound.resume();
      });
      const fallBack = () => tryNext(others);
      outbound.once("error", fallBack);
    };
    tryNext(backends());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  return { port: typeof address === "object" && address ? address.port : 0, server };
}

const portOf = (url: string) => Number(new URL(url).port);

describe("drain", () => {
  it("sends idle agents elsewhere at once, with no failed login, and leaves the registry", async () => {
    const events: Record<string, unknown>[] = [];
    const log: Log = (event) => events.push(event);
    const draining = createRelay({ db: stack.t.db, config: testConfig, log });
    const drainingUrl = (await draining.listen(0, "127.0.0.1")).url;
    const front = await balancer(() => [portOf(drainingUrl), portOf(stack.url)]);
    const echo = await echoServer();
    closers.push(() => echo.close());
    const sessions: string[] = [];
    const client = startClient({
      ...agentBase(`ws://127.0.0.1:${front.port}`, "user1"),
      forward: { host: "127.0.0.1", port: echo.port },
      reconnect: { initialMs: 50, maxMs: 200 },
      onConnected: (id) => sessions.push(id),
    });
    closers.push(() => client.stop());
    await client.ready;
    const lease = async () =>
      (
        await stack.t.db
          .select()
          .from(schema.activeSessions)
          .where(eq(schema.activeSessions.userName, "user1"))
      )[0];
    expect((await lease())?.relayInstance).toBe(draining.nodeId);

    await draining.drain(5_000);
    expect(events.find((e) => e.event === "drained")).toMatchObject({ cutAtDeadline: 0 });
    // Back through the balancer, on the relay that stays.
    await eventually(async () => (await lease())?.relayInstance === stack.relay.nodeId);
    // The lease is written during the login, before the result reaches the client: its callback may
    // come a moment later.
    await eventually(() => sessions.length >= 2);
    expect(sessions).toHaveLength(2);
    const rows = await historyOf(stack.t, "user1", "client");
    expect(rows.filter((r) => r.result !== "success")).toEqual([]);
    expect(rows.filter((r) => r.endedAt === null)).toHaveLength(1);
    const nodes = await stack.t.db.select().from(schema.relayNodes);
    expect(nodes.map((n) => n.id)).not.toContain(draining.nodeId);
  });

  it("keeps an agent whose channel is open until the channel ends, then sends it away", async () => {
    const events: Record<string, unknown>[] = [];
    const draining = createRelay({ db: stack.t.db, config: testConfig, log: (e) => events.push(e) });
    const { url, internalUrl } = await draining.listen(0, "127.0.0.1");
    const echo = await echoServer();
    closers.push(() => echo.close());
    const client = startClient({
      ...agentBase(url, "usb.ndl"),
      forward: { host: "127.0.0.1", port: echo.port },
      reconnect: false,
    });
    closers.push(() => client.stop());
    await client.ready;
    const viewer = await startViewer({
      ...agentBase(url, "usb.ndl"),
      product: "usb-ndl",
      usbKeySerial: "NDL-0001-0001",
      listen: { host: "127.0.0.1", port: 0 },
      reconnect: false,
    } as Parameters<typeof startViewer>[0]);
    closers.push(() => viewer.close());
    const socket = connect({ host: "127.0.0.1", port: viewer.listening.port });
    await new Promise<void>((resolve) => {
      socket.once("data", () => resolve());
      socket.write("hello");
    });

    const drained = draining.drain(60_000);
    // Connections are refused at once; the open channel keeps its two agents.
    await eventually(async () => events.some((e) => e.event === "draining"));
    await expect(rawConnection(url)).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(draining.stats().peers).toBe(2);
    // The internal port stays up for the operator: health says draining, and so do the metrics.
    const internal = internalUrl.replace(/^ws/, "http");
    expect((await fetch(`${internal}/healthz`)).status).toBe(503);
    const metrics = await (await fetch(`${internal}/metrics`)).text();
    expect(metrics).toMatch(/^tsunagi_relay_draining 1$/m);
    socket.end();
    await drained;
    expect(events.find((e) => e.event === "drained")).toMatchObject({ cutAtDeadline: 0 });
    expect((await client.stopped).reason).toBe("stopped");
  });

  it("sends the last agents away at the deadline, channels open or not", async () => {
    const events: Record<string, unknown>[] = [];
    const draining = createRelay({ db: stack.t.db, config: testConfig, log: (e) => events.push(e) });
    const url = (await draining.listen(0, "127.0.0.1")).url;
    const echo = await echoServer();
    closers.push(() => echo.close());
    const notices: string[] = [];
    const client = startClient({
      ...agentBase(url, "usb.xdl"),
      forward: { host: "127.0.0.1", port: echo.port },
      reconnect: false,
      onNotice: (text) => notices.push(text),
    });
    closers.push(() => client.stop());
    await client.ready;
    const viewer = await startViewer({
      ...agentBase(url, "usb.xdl"),
      product: "usb-xdl",
      usbKeySerial: "XDL-0002-0001",
      listen: { host: "127.0.0.1", port: 0 },
    } as Parameters<typeof startViewer>[0]);
    closers.push(() => viewer.close());
    const socket = connect({ host: "127.0.0.1", port: viewer.listening.port });
    socket.on("error", () => {});
    socket.write("held open");
    await eventually(() => draining.stats().peers === 2 && client.stats().channels === 1);
    await draining.drain(500);
    expect(events.find((e) => e.event === "drained")).toMatchObject({ cutAtDeadline: 2 });
    // The client was told why (close 4010), not that it lost its connection.
    await eventually(() => notices.some((text) => /draining/.test(text)));
    expect(
      await stack.t.db
        .select()
        .from(schema.activeSessions)
        .where(eq(schema.activeSessions.relayInstance, draining.nodeId)),
    ).toEqual([]);
  });
});

void startRelay;
