/**
 * Bytes through the tunnel: a viewer's local port → relay → client → an echo server, byte-exact, in
 * order, many channels at once, with half-close, close propagation and a slow reader — on each data
 * path (docs/protocol.md "Data connections"): the multiplexed WebSocket and spliced data connections,
 * each with the relay speaking plain TCP and TLS.
 */
import { randomBytes } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import { type Client, type DataPathMode, startClient, startViewer, type Viewer } from "@tsunagi/agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay, type Relay } from "../src/server.js";
import {
  agentBase,
  echoThrough,
  eventually,
  openSessions,
  selfSigned,
  sha,
  testConfig,
  useEchoServer,
  useStack,
} from "./helpers.js";
import { sample, scrape } from "./scrape.js";

const stack = useStack();
const echo = useEchoServer();

/** Channels the 100-at-once test opens: above the default cap, so the cap is raised for it. */
const AT_ONCE = 100;

/**
 * `sealed`: the relay seals spliced channels (docs/protocol.md "Sealed channels"), its default with TLS;
 * the agents then park plain TCP data connections on its TLS port.
 */
const paths: readonly { name: string; dataPath: DataPathMode; tls: boolean; sealed: boolean }[] = [
  { name: "multiplexed", dataPath: "mux", tls: false, sealed: false },
  { name: "spliced", dataPath: "spliced", tls: false, sealed: false },
  { name: "spliced, over TLS, sealed", dataPath: "spliced", tls: true, sealed: true },
  { name: "spliced, over TLS, not sealed", dataPath: "spliced", tls: true, sealed: false },
  { name: "spliced, sealed, without TLS to the relay", dataPath: "spliced", tls: false, sealed: true },
  { name: "multiplexed, over TLS", dataPath: "mux", tls: true, sealed: true },
];

/** A service on loopback for one test, closed by the caller. */
async function service(onSocket: (socket: Socket) => void): Promise<{ port: number; close(): void }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    onSocket(socket);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/** Waits until the relay holds no session of `user`, so the next test's agents may log in as it. */
async function sessionsGone(user: string): Promise<void> {
  await eventually(async () => (await openSessions(stack.t)).every((s) => s.userName !== user));
}

describe.each(paths)("the tunnel, $name", ({ dataPath, tls, sealed }) => {
  let relay: Relay;
  let url: string;
  let ca: Buffer | undefined;
  let client: Client;
  let viewer: Viewer;
  const spliced = dataPath === "spliced";
  /** What every agent of this run shares: the relay, its CA, the path. */
  const base = (user: string) => ({ ...agentBase(url, user), dataPath, ...(ca ? { ca } : {}) });

  /** A client of `user` forwarding to `port`, and its USB viewer on a free local port. */
  async function pair(user: "usb.xdl" | "usb.ex", port: number) {
    const product = user === "usb.xdl" ? "usb-xdl" : "usb-ex";
    const serial = user === "usb.xdl" ? "XDL-0002-0001" : "EX-0003-0001";
    const c = startClient({ ...base(user), forward: { host: "127.0.0.1", port } });
    await c.ready;
    const v = await startViewer({
      ...base(user),
      product,
      usbKeySerial: serial,
      listen: { host: "127.0.0.1", port: 0 },
    });
    return {
      v,
      async close() {
        await v.close();
        await c.stop();
        await sessionsGone(user);
      },
    };
  }

  beforeAll(async () => {
    const certificate = tls ? await selfSigned("relay") : undefined;
    ca = certificate?.cert;
    relay = createRelay({
      db: stack.t.db,
      config: { ...testConfig, maxChannelsPerSession: AT_ONCE + 28 },
      log: silentLog,
      ...(certificate ? { tls: certificate } : {}),
      data: { sealed },
    });
    ({ url } = await relay.listen(0, "127.0.0.1"));
    // usb.ndl is a USB viewer (no device slot) and its own client: the standard connection.
    client = startClient({
      ...base("usb.ndl"),
      forward: { host: "127.0.0.1", port: echo.port },
      maxChannels: AT_ONCE + 28,
    });
    await client.ready;
    viewer = await startViewer({
      ...base("usb.ndl"),
      product: "usb-ndl",
      usbKeySerial: "NDL-0001-0001",
      listen: { host: "127.0.0.1", port: 0 },
      maxChannels: AT_ONCE + 28,
    });
    // The spliced path starts once each agent has parked its data connections.
    if (spliced) await eventually(() => relay.stats().data.parked >= 4);
  });
  afterAll(async () => {
    await viewer.close();
    await client.stop();
    await sessionsGone("usb.ndl");
    await relay.close();
  });

  it("carries 1 MiB byte-exact and in order, on the path asked for", async () => {
    const before = relay.stats().data.joined;
    const sealedBefore = relay.stats().data.sealed;
    const agentsSealedBefore = viewer.stats().sealed + client.stats().sealed;
    // The metrics say which path carried the bytes (plain runs: the scrape speaks http).
    const splicedBytes = async () =>
      tls ? 0 : sample((await scrape(url)).text, "tsunagi_relay_spliced_bytes_total");
    const splicedBefore = await splicedBytes();
    const payload = randomBytes(1024 * 1024);
    const back = await echoThrough(viewer.listening.port, payload);
    expect(back.length).toBe(payload.length);
    expect(sha(back)).toBe(sha(payload));
    expect(relay.stats().data.joined - before).toBe(spliced ? 1 : 0);
    expect(relay.stats().data.sealed - sealedBefore).toBe(spliced && sealed ? 1 : 0);
    // Both agents ran the channel's TLS (not only were they given a key).
    await eventually(
      () =>
        viewer.stats().sealed + client.stats().sealed - agentsSealedBefore === (spliced && sealed ? 2 : 0),
    );
    if (!tls) {
      await eventually(
        async () => (await splicedBytes()) - splicedBefore >= (spliced ? 2 * payload.length : 0),
      );
      if (!spliced) expect((await splicedBytes()) - splicedBefore).toBe(0);
    }
  });

  it(`carries ${AT_ONCE} channels at once, 64 KiB each way, byte-exact, none mixed with another`, async () => {
    const before = relay.stats().data.joined;
    const payloads = Array.from({ length: AT_ONCE }, () => randomBytes(64 * 1024));
    const backs = await Promise.all(payloads.map((p) => echoThrough(viewer.listening.port, p)));
    backs.forEach((back, i) => {
      expect(back.length).toBe(payloads[i]?.length);
      expect(sha(back)).toBe(sha(payloads[i] as Buffer));
    });
    // Every channel on the path asked for (in forced spliced mode a channel waits for a data connection).
    expect(relay.stats().data.joined - before).toBe(spliced ? AT_ONCE : 0);
    await eventually(() => viewer.stats().channels === 0 && client.stats().channels === 0);
  });

  it("keeps half-close both ways: each side still sends after the other has finished", async () => {
    // The service reads the request to its end, then answers with what it got; it finishes first on
    // a second connection, and the viewer's side answers after that.
    const svc = await service((socket) => {
      const got: Buffer[] = [];
      socket.on("data", (d: Buffer) => got.push(d));
      socket.once("end", () => socket.end(`got ${Buffer.concat(got).length} bytes`));
    });
    const { v, close } = await pair("usb.xdl", svc.port);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port: v.listening.port });
      let text = "";
      s.on("data", (d) => {
        text += d.toString();
      });
      s.on("error", reject);
      s.on("end", () => resolve(text));
      s.end(Buffer.alloc(300 * 1024, 7));
    });
    expect(answer).toBe(`got ${300 * 1024} bytes`);
    svc.close();

    const first = await service((socket) => {
      socket.end("hello");
      const got: Buffer[] = [];
      socket.on("data", (d: Buffer) => got.push(d));
      socket.once("end", () => heard.push(Buffer.concat(got).toString()));
    });
    const heard: string[] = [];
    await close();
    const second = await pair("usb.xdl", first.port);
    const greeting = await new Promise<string>((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port: second.v.listening.port, allowHalfOpen: true });
      let text = "";
      s.on("data", (d) => {
        text += d.toString();
      });
      s.on("error", reject);
      // The service has finished sending; we still may, and it still reads.
      s.on("end", () => {
        s.end("after your end");
        resolve(text);
      });
    });
    expect(greeting).toBe("hello");
    await eventually(() => heard.length === 1);
    expect(heard[0]).toBe("after your end");
    first.close();
    await second.close();
  });

  it("propagates a close from the service side to the viewer's socket", async () => {
    const svc = await service((s) => s.end("bye"));
    const { v, close } = await pair("usb.xdl", svc.port);
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
    await close();
    svc.close();
  });

  it("honours backpressure: a reader that stops reading stalls the sender; the relay holds a bounded amount", async () => {
    // A service that accepts and reads nothing until told: what the viewer's side writes backs up to the writer.
    let held: Socket | undefined;
    const received: Buffer[] = [];
    const sink = await service((s) => {
      held = s;
      s.pause();
      s.on("data", (d: Buffer) => received.push(d));
    });
    const { v, close } = await pair("usb.ex", sink.port);
    const total = 32 * 1024 * 1024;
    const payload = randomBytes(total);
    const socket = connect({ host: "127.0.0.1", port: v.listening.port });
    socket.on("error", () => {});
    await new Promise<void>((r) => socket.once("connect", () => r()));
    // In 64 KiB writes, so that the socket's unwritten bytes (writableLength) tell what the path took.
    for (let at = 0; at < total; at += 64 * 1024) socket.write(payload.subarray(at, at + 64 * 1024));
    // The path fills up to what its buffers and the window hold, and no further while the sink reads
    // nothing: the writer keeps most of the 32 MiB.
    // Spliced: until the relay's write towards the stalled side backs up (it holds bytes it cannot
    // pass on); multiplexed: until the window's worth has left the writer.
    await eventually(() =>
      spliced
        ? relay.stats().data.heldBytes > 0
        : held !== undefined && total - socket.writableLength > 1024 * 1024,
    );
    const stalled = relay.stats();
    expect(socket.writableLength).toBeGreaterThan(total / 2);
    // Then the sink reads: everything arrives, byte-exact.
    held?.resume();
    await eventually(() => received.reduce((n, b) => n + b.length, 0) === total, 60_000);
    expect(sha(Buffer.concat(received))).toBe(sha(payload));
    // What the relay held for the channel at any time (the splice's socket buffers, sampled at every
    // read), or towards one connection (the multiplexed queue): bounded, far below the 32 MiB offered.
    if (spliced) {
      expect(stalled.data.spliced).toBeGreaterThanOrEqual(1);
      expect(relay.stats().data.peakHeldBytes).toBeGreaterThan(0);
      expect(relay.stats().data.peakHeldBytes).toBeLessThan(1024 * 1024);
    } else {
      expect(relay.stats().peakQueuedBytes).toBeLessThan(8 * 1024 * 1024);
    }
    socket.destroy();
    await close();
    sink.close();
  });
});
