/**
 * A hostile viewer against the tunnel: a raw WebSocket written here completes the real handshake with
 * the real relay (a real user on the test database), then breaks the tunnel's rules towards a real
 * client agent forwarding to a local TCP sink that never reads. The relay must disconnect a viewer
 * that ignores its window, hold the channel cap, and refuse an id already open; the client must never
 * hold more than one window of what the viewer sent.
 */
import { createServer, type Server, type Socket } from "node:net";
import { type Client, startClient } from "@tsunagi/agent";
import type { Product } from "@tsunagi/core/domain";
import { CHANNEL_WINDOW } from "@tsunagi/core/frames";
import type { FromRelay } from "@tsunagi/core/wire";
import { describe, expect, it } from "vitest";
import {
  agentBase,
  eventually,
  type RawConnection,
  rawConnection,
  startRelay,
  usbViewerHello,
  useStack,
} from "./helpers.js";

const stack = useStack();

/** A TCP service that accepts and never reads: whatever reaches it queues in the client agent. */
async function stuckSink(): Promise<{ port: number; sockets: Socket[]; server: Server; close(): void }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    socket.pause();
    socket.on("error", () => {});
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    sockets,
    server,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

interface RawViewer extends RawConnection {
  /** Sends a ping and resolves with "pong" when answered, or with the close if the relay closes first. */
  pingOrClose(): Promise<"pong" | { code: number; reason: string }>;
}

/** A viewer written by hand: the real hello of a USB viewer, then whatever the test sends. */
async function rawViewer(
  url: string,
  user: string,
  product: Product,
  usbKeySerial: string,
): Promise<RawViewer> {
  const raw = await rawConnection(url);
  const pongs: (() => void)[] = [];
  raw.ws.on("message", (data, isBinary) => {
    if (!isBinary && (JSON.parse(data.toString()) as FromRelay).type === "pong") pongs.shift()?.();
  });
  raw.send(usbViewerHello(user, product, usbKeySerial));
  await eventually(() => raw.messages.some((m) => m.type === "result"));
  return {
    ...raw,
    pingOrClose() {
      const pong = new Promise<"pong">((resolve) => pongs.push(() => resolve("pong")));
      raw.send({ type: "ping" });
      return Promise.race([pong, raw.closed]);
    },
  };
}

const frame = (channelId: number, payload: Buffer) => {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(channelId, 0);
  payload.copy(out, 4);
  return out;
};

async function clientOf(user: string, port: number): Promise<Client> {
  const client = startClient({
    ...agentBase(stack.url, user),
    forward: { host: "127.0.0.1", port },
    reconnect: false,
  });
  await client.ready;
  return client;
}

describe("a viewer that ignores flow control", () => {
  it("is disconnected by the relay (1008, naming the channel) and the client holds at most one window", async () => {
    const sink = await stuckSink();
    const client = await clientOf("usb.ndl", sink.port);
    const viewer = await rawViewer(stack.url, "usb.ndl", "usb-ndl", "NDL-0001-0001");
    try {
      viewer.send({ type: "open", channelId: 7 });
      // 32 MiB without waiting for a single window update: eight windows' worth.
      const chunk = Buffer.alloc(120 * 1024, 0x5a);
      const total = 32 * 1024 * 1024;
      for (let sent = 0; sent < total; sent += chunk.length) viewer.ws.send(frame(7, chunk));
      const outcome = await viewer.pingOrClose();
      expect(outcome).toEqual({ code: 1008, reason: "malformed" });
      const error = viewer.messages.find((m) => m.type === "error");
      expect(error).toMatchObject({ code: "malformed" });
      expect(String(error?.message)).toMatch(/channel 7 overran its window/);

      // The relay ends the channel towards the client after the last data it forwarded; once the client
      // has taken that close, nothing more arrives. What it still holds unwritten (the sink reads
      // nothing; the kernel's socket buffers took the rest) is at most the window it granted.
      await eventually(() => client.stats().channels === 0);
      expect(sink.sockets.length).toBe(1);
      expect(client.stats().queuedBytes).toBeLessThanOrEqual(CHANNEL_WINDOW);
    } finally {
      viewer.ws.terminate();
      await client.stop();
      sink.close();
    }
  });
});

describe("channels per session", () => {
  it("holds the cap: an open beyond it is answered with close, and the client dials no more than the cap", async () => {
    const capped = await startRelay(stack.t, { maxChannelsPerSession: 4 });
    const sink = await stuckSink();
    const client = startClient({
      ...agentBase(capped.url, "usb.xdl"),
      forward: { host: "127.0.0.1", port: sink.port },
      reconnect: false,
    });
    await client.ready;
    const viewer = await rawViewer(capped.url, "usb.xdl", "usb-xdl", "XDL-0002-0001");
    try {
      for (let id = 1; id <= 6; id++) viewer.send({ type: "open", channelId: id });
      expect(await viewer.pingOrClose()).toBe("pong");
      const closes = viewer.messages.filter((m) => m.type === "close");
      expect(closes.map((m) => m.channelId)).toEqual([5, 6]);
      expect(String(closes[0]?.reason)).toMatch(/at most 4 channels/);
      await eventually(() => sink.sockets.length === 4 && client.stats().channels === 4);

      // An id already open is refused: the viewer broke the protocol and is disconnected.
      viewer.send({ type: "open", channelId: 2 });
      expect(await viewer.closed).toEqual({ code: 1008, reason: "malformed" });
      const last = viewer.messages.at(-1);
      expect(String(last && "message" in last ? last.message : undefined)).toMatch(
        /channel 2 is reserved or already open/,
      );
      expect(sink.sockets.length).toBe(4);
    } finally {
      viewer.ws.terminate();
      await client.stop();
      sink.close();
      await capped.relay.close();
    }
  });
});
