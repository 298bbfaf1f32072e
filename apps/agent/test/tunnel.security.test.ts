/**
 * A hostile relay against the agents: a WebSocket server written here answers the real client's (or
 * viewer's) hello with a result, then breaks the tunnel's rules. The agent must close the connection
 * (1008, naming the channel) when sent more than the window it granted, instead of queueing it for a
 * local socket that doesn't read; must refuse an `open` for an id already open; and must answer an
 * `open` beyond its channel cap with `close`.
 */
import { connect, createServer, type Socket } from "node:net";
import { CHANNEL_WINDOW } from "@tsunagi/core/frames";
import type { FromRelay, ToRelay } from "@tsunagi/core/wire";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket as ServerSocket, WebSocketServer } from "ws";
import { type Client, startClient } from "../src/client.js";
import { startViewer, type Viewer } from "../src/viewer.js";

interface HostileRelay {
  readonly url: string;
  /** The agent's connection, once it has been answered with a result. */
  readonly agent: Promise<ServerSocket>;
  /** What the agent sent, as core's wire messages. */
  readonly messages: ToRelay[];
  /** How the agent closed the connection. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Sends a ping; resolves "pong" when the agent answers, or with the close if it closes first. */
  pingOrClose(): Promise<"pong" | { code: number; reason: string }>;
  close(): Promise<void>;
}

/** What this hostile relay sends is still a relay's message in form: core's `FromRelay`. */
const send = (ws: ServerSocket, message: FromRelay) => ws.send(JSON.stringify(message));

async function hostileRelay(): Promise<HostileRelay> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const messages: HostileRelay["messages"] = [];
  const pongs: (() => void)[] = [];
  let closedResolve: (value: { code: number; reason: string }) => void = () => {};
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    closedResolve = resolve;
  });
  const agent = new Promise<ServerSocket>((resolve) => {
    wss.once("connection", (ws) => {
      ws.on("error", () => {});
      ws.on("close", (code, reason) => closedResolve({ code, reason: reason.toString() }));
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        const message = JSON.parse(data.toString()) as ToRelay;
        messages.push(message);
        if (message.type === "hello") {
          send(ws, {
            type: "result",
            ok: true,
            sessionId: "hostile-session",
            policy: { mayStoreLoginPassword: false, mayStoreOsLogonPassword: false },
            ...(message.role === "viewer" ? { reachableClients: [message.user] } : {}),
          });
          resolve(ws);
        }
        if (message.type === "pong") pongs.shift()?.();
      });
    });
  });
  const address = wss.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${address.port}`,
    agent,
    messages,
    closed,
    async pingOrClose() {
      const ws = await agent;
      const pong = new Promise<"pong">((resolve) => pongs.push(() => resolve("pong")));
      send(ws, { type: "ping" });
      return Promise.race([pong, closed]);
    },
    close: () =>
      new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** A local service that accepts and never reads. */
async function stuckSink(): Promise<{ port: number; sockets: Socket[]; close(): void }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    socket.pause();
    socket.on("error", () => {});
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const frame = (channelId: number, payload: Buffer) => {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(channelId, 0);
  payload.copy(out, 4);
  return out;
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function clientAgainst(
  relay: HostileRelay,
  sinkPort: number,
  onNotice: (text: string) => void,
  maxChannels?: number,
): Promise<Client> {
  const client = startClient({
    server: relay.url,
    serverHost: "asp1",
    user: "usb.ndl",
    password: "irrelevant",
    forward: { host: "127.0.0.1", port: sinkPort },
    reconnect: false,
    onNotice,
    ...(maxChannels === undefined ? {} : { maxChannels }),
  });
  cleanups.push(() => client.stop());
  await client.ready;
  return client;
}

describe("a relay that ignores the client's window", () => {
  it("is disconnected by the client (1008, naming the channel); the client queues at most one window", async () => {
    const relay = await hostileRelay();
    cleanups.push(() => relay.close());
    const sink = await stuckSink();
    cleanups.push(() => sink.close());
    const notices: string[] = [];
    // What the client holds for the socket that doesn't read, when it refuses the overrun.
    let queuedAtRefusal: number | undefined;
    let client: Client | undefined;
    client = await clientAgainst(relay, sink.port, (text) => {
      notices.push(text);
      if (text.includes("overran")) queuedAtRefusal = client?.stats().queuedBytes;
    });
    const ws = await relay.agent;
    send(ws, { type: "open", channelId: 1 });
    // 32 MiB on channel 1 without waiting for the window updates the client sends.
    const chunk = Buffer.alloc(120 * 1024, 0x33);
    for (let sent = 0; sent < 32 * 1024 * 1024; sent += chunk.length) ws.send(frame(1, chunk));
    const outcome = await relay.pingOrClose();
    expect(outcome).toMatchObject({ code: 1008 });
    expect((outcome as { reason: string }).reason).toMatch(/^channel 1 overran its window/);
    expect(notices.join("\n")).toMatch(/channel 1 overran its window/);
    expect(queuedAtRefusal).toBeDefined();
    expect(queuedAtRefusal).toBeLessThanOrEqual(CHANNEL_WINDOW);
  });
});

describe("channel ids and the channel cap at the client", () => {
  it("refuses an open for an id already open by closing the connection (1008)", async () => {
    const relay = await hostileRelay();
    cleanups.push(() => relay.close());
    const sink = await stuckSink();
    cleanups.push(() => sink.close());
    const client = await clientAgainst(relay, sink.port, () => {});
    const ws = await relay.agent;
    send(ws, { type: "open", channelId: 5 });
    send(ws, { type: "open", channelId: 5 });
    const outcome = await relay.pingOrClose();
    expect(outcome).toEqual({ code: 1008, reason: "channel 5 is reserved or already open" });
    // The connection is over: without reconnecting, the client has stopped.
    await client.stopped;
    expect(client.stats()).toEqual({ channels: 0, draining: 0, queuedBytes: 0, sealed: 0 });
  });

  it("answers an open beyond its cap with close, and dials no more than the cap", async () => {
    const relay = await hostileRelay();
    cleanups.push(() => relay.close());
    const sink = await stuckSink();
    cleanups.push(() => sink.close());
    const client = await clientAgainst(relay, sink.port, () => {}, 3);
    const ws = await relay.agent;
    for (let id = 1; id <= 5; id++) send(ws, { type: "open", channelId: id });
    expect(await relay.pingOrClose()).toBe("pong");
    const closes = relay.messages.filter((m): m is Extract<ToRelay, { type: "close" }> => m.type === "close");
    expect(closes.map((m) => m.channelId)).toEqual([4, 5]);
    expect(String(closes[0]?.reason)).toMatch(/at most 3 channels/);
    expect(client.stats().channels).toBe(3);
  });
});

describe("a relay that ignores the viewer's window", () => {
  it("is disconnected by the viewer too (the same rule at both ends)", async () => {
    const relay = await hostileRelay();
    cleanups.push(() => relay.close());
    let queuedAtRefusal: number | undefined;
    let viewer: Viewer | undefined;
    viewer = await startViewer({
      server: relay.url,
      serverHost: "asp1",
      user: "usb.ndl",
      password: "irrelevant",
      product: "usb-ndl",
      usbKeySerial: "NDL-0001-0001",
      listen: { host: "127.0.0.1", port: 0 },
      reconnect: false,
      onNotice: (text) => {
        if (text.includes("overran")) queuedAtRefusal = viewer?.stats().queuedBytes;
      },
    });
    const started = viewer;
    cleanups.push(() => started.close());
    // A local program that connects and never reads.
    const local = connect({ host: "127.0.0.1", port: started.listening.port });
    local.pause();
    local.on("error", () => {});
    cleanups.push(() => void local.destroy());
    const ws = await relay.agent;
    const open = await new Promise<{ channelId: number }>((resolve) => {
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        const message = JSON.parse(data.toString()) as ToRelay;
        if (message.type === "open") resolve(message);
      });
    });
    const chunk = Buffer.alloc(120 * 1024, 0x44);
    for (let sent = 0; sent < 32 * 1024 * 1024; sent += chunk.length) ws.send(frame(open.channelId, chunk));
    const outcome = await relay.pingOrClose();
    expect(outcome).toMatchObject({ code: 1008 });
    expect((outcome as { reason: string }).reason).toMatch(
      new RegExp(`^channel ${open.channelId} overran its window`),
    );
    expect(queuedAtRefusal).toBeDefined();
    expect(queuedAtRefusal).toBeLessThanOrEqual(CHANNEL_WINDOW);
  });
});
