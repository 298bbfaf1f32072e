/**
 * Bytes through the tunnel: a viewer's local port → relay → client → an echo server, byte-exact, in
 * order, many channels at once, with half-close, close propagation and a slow reader.
 */
import { createHash, randomBytes } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import { type Client, startClient, startViewer, type Viewer } from "@tsunagi/agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentBase, eventually, useEchoServer, useStack } from "./helpers.js";

const stack = useStack();
const echo = useEchoServer();
let client: Client;
let viewer: Viewer;

beforeAll(async () => {
  // usb.ndl is a USB viewer (no device slot) and its own client: the standard connection.
  client = startClient({
    ...agentBase(stack.url, "usb.ndl"),
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
  await viewer.close();
  await client.stop();
});

/** Writes `payload` through the viewer's port, half-closes, and returns everything echoed back. */
function echoThrough(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.end(payload);
  });
}

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("tunnel", () => {
  it("carries 1 MiB byte-exact and in order", async () => {
    const payload = randomBytes(1024 * 1024);
    const back = await echoThrough(viewer.listening.port, payload);
    expect(back.length).toBe(payload.length);
    expect(sha(back)).toBe(sha(payload));
  });

  it("carries 20 parallel channels of 256 KiB each, none mixed with another", async () => {
    const payloads = Array.from({ length: 20 }, () => randomBytes(256 * 1024));
    const backs = await Promise.all(payloads.map((p) => echoThrough(viewer.listening.port, p)));
    backs.forEach((back, i) => {
      expect(back.length).toBe(payloads[i]?.length);
      expect(sha(back)).toBe(sha(payloads[i] as Buffer));
    });
  });

  it("propagates a close from the service side to the viewer's socket", async () => {
    // A second client user with a service that answers and hangs up.
    const server = createServer((s) => s.end("bye"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const c = startClient({ ...agentBase(stack.url, "usb.xdl"), forward: { host: "127.0.0.1", port } });
    await c.ready;
    const v = await startViewer({
      ...agentBase(stack.url, "usb.xdl"),
      product: "usb-xdl",
      usbKeySerial: "XDL-0002-0001",
      listen: { host: "127.0.0.1", port: 0 },
    });
    const got = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port: v.listening.port });
      let text = "";
      s.on("data", (d) => {
        text += d.toString();
      });
      s.on("error", reject);
      s.on("close", () => resolve(text));
    });
    expect(got).toBe("bye");
    expect(stack.relay.stats().peers).toBeGreaterThanOrEqual(4);
    await v.close();
    await c.stop();
    server.close();
  });

  it("honours backpressure: a reader that stops reading stalls the sender instead of filling memory", async () => {
    // A service that accepts but never reads: whatever the viewer side writes must back up to the writer.
    let held: Socket | undefined;
    const sink = createServer((s) => {
      held = s;
      s.pause();
    });
    await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
    const port = (sink.address() as { port: number }).port;
    const c = startClient({ ...agentBase(stack.url, "usb.ex"), forward: { host: "127.0.0.1", port } });
    await c.ready;
    const v = await startViewer({
      ...agentBase(stack.url, "usb.ex"),
      product: "usb-ex",
      usbKeySerial: "EX-0003-0001",
      listen: { host: "127.0.0.1", port: 0 },
    });
    const socket = connect({ host: "127.0.0.1", port: v.listening.port });
    await new Promise<void>((r) => socket.once("connect", () => r()));
    const chunk = Buffer.alloc(64 * 1024, 1);
    let written = 0;
    // Write until the local socket reports a full buffer and stays full.
    for (let i = 0; i < 400; i++) {
      if (!socket.write(chunk)) {
        await Promise.race([
          new Promise((r) => socket.once("drain", r)),
          new Promise((r) => setTimeout(r, 200)),
        ]);
        if (socket.writableLength > 0) break;
      }
      written += chunk.length;
    }
    await eventually(() => held !== undefined);
    // 25 MiB offered; the window plus the kernel buffers on each hop hold far less than that.
    expect(written).toBeLessThan(400 * chunk.length);
    expect(socket.writableLength).toBeGreaterThan(0);
    socket.destroy();
    await v.close();
    await c.stop();
    sink.close();
  });
});
