/**
 * The agents losing the relay and coming back, against a scripted relay (scripted-relay.ts) that
 * decides how each hello is answered and ends sessions with any close code: the viewer keeps its local
 * port and carries what a local program sent while it was offline; waiting connections are bounded in
 * number and time; a drain (4010) brings client and viewer straight back without the backoff and
 * without advancing it; 4003 and a refused reconnect stop for good; `reconnect: false` is the old
 * behaviour.
 */
import { connect, type Socket } from "node:net";
import { CloseCode } from "@tsunagi/core/wire";
import { afterEach, describe, expect, it } from "vitest";
import { startClient } from "../src/client.js";
import { AuthenticationError } from "../src/connection.js";
import { startViewer, type ViewerOptions } from "../src/viewer.js";
import { type ScriptedRelay, scriptedRelay } from "./scripted-relay.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Notices an agent printed, and a wait for the first one matching a pattern. */
function noticeLog() {
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  return {
    lines,
    add(line: string) {
      lines.push(line);
      for (const w of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    },
    /** The first notice from now on (or already printed) matching `pattern`. */
    seen(pattern: RegExp): Promise<string> {
      const line = lines.find((l) => pattern.test(l));
      if (line) return Promise.resolve(line);
      return new Promise((resolve) => waiters.push({ pattern, resolve }));
    },
  };
}

async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function relay(): Promise<ScriptedRelay> {
  const r = await scriptedRelay();
  cleanups.push(() => r.close());
  return r;
}

async function viewerOf(r: ScriptedRelay, extra: Partial<ViewerOptions> = {}) {
  const notices = noticeLog();
  const ids: string[] = [];
  const viewer = await startViewer({
    server: r.url,
    serverHost: "asp1",
    user: "usb.ndl",
    password: "irrelevant",
    product: "usb-ndl",
    usbKeySerial: "NDL-0001-0001",
    listen: { host: "127.0.0.1", port: 0 },
    reconnect: { initialMs: 50, maxMs: 200 },
    onNotice: notices.add,
    onConnected: (id) => ids.push(id),
    ...extra,
  });
  cleanups.push(() => viewer.close());
  return { viewer, notices, ids };
}

function clientOf(r: ScriptedRelay, reconnect: { initialMs: number; maxMs: number }) {
  const notices = noticeLog();
  const ids: string[] = [];
  const client = startClient({
    server: r.url,
    serverHost: "asp1",
    user: "usb.ndl",
    password: "irrelevant",
    forward: { host: "127.0.0.1", port: 1 },
    reconnect,
    onNotice: notices.add,
    onConnected: (id) => ids.push(id),
  });
  cleanups.push(() => client.stop());
  return { client, notices, ids };
}

async function localConnection(port: number): Promise<Socket> {
  const socket = connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  cleanups.push(() => void socket.destroy());
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  return socket;
}

const closedSocket = (socket: Socket) =>
  new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once("close", () => resolve())));

const frame = (channelId: number, payload: Buffer) => {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(channelId, 0);
  payload.copy(out, 4);
  return out;
};

describe("the viewer while the relay is away", () => {
  it("keeps its port; a connection made meanwhile waits and is carried both ways by the next session", async () => {
    const r = await relay();
    const { viewer, notices, ids } = await viewerOf(r);
    const port = viewer.listening.port;
    const first = await r.session(1);
    expect(viewer.sessionId).toBe(first.id);

    r.answer = "unavailable";
    first.ws.close(CloseCode.goingAway, "relay shutting down");
    await notices.seen(/connection to the relay lost \(1001 relay shutting down\)/);
    expect(viewer.connected).toBe(false);

    const local = await localConnection(port);
    const sent = Buffer.from(Array.from({ length: 96 * 1024 }, (_, i) => (i * 7) % 251));
    local.write(sent);
    await eventually(() => viewer.stats().waiting === 1);
    // Failed attempts go on with backoff meanwhile; the connection keeps waiting.
    await notices.seen(/the database is away/);
    expect(viewer.stats().waiting).toBe(1);

    r.answer = "result";
    const second = await r.session(2);
    const open = await second.next("open");
    await eventually(() => (second.received.get(open.channelId)?.length ?? 0) >= sent.length);
    expect(second.received.get(open.channelId)).toEqual(sent);

    const back = new Promise<Buffer>((resolve) => local.once("data", resolve));
    second.ws.send(frame(open.channelId, Buffer.from("from the client")));
    expect((await back).toString()).toBe("from the client");

    expect(viewer.listening.port).toBe(port);
    expect(viewer.sessionId).toBe(second.id);
    expect(ids).toEqual([first.id, second.id]);
    expect(viewer.stats()).toMatchObject({ channels: 1, waiting: 0 });
  });

  it("lets at most maxChannels wait, each at most offlineWaitMs, then closes them with a notice", async () => {
    const r = await relay();
    const { viewer, notices } = await viewerOf(r, { maxChannels: 2, offlineWaitMs: 300 });
    r.answer = "unavailable";
    (await r.session(1)).ws.close(CloseCode.goingAway);
    await notices.seen(/connection to the relay lost/);

    const a = await localConnection(viewer.listening.port);
    const b = await localConnection(viewer.listening.port);
    await eventually(() => viewer.stats().waiting === 2);
    const c = await localConnection(viewer.listening.port);
    await closedSocket(c);
    expect(await notices.seen(/refusing a local connection/)).toBe(
      "refusing a local connection: 2 already wait for the relay",
    );

    await Promise.all([closedSocket(a), closedSocket(b)]);
    expect(notices.lines.filter((l) => l.startsWith("closing a local connection"))).toEqual([
      "closing a local connection: the relay was not back within 0.3 s",
      "closing a local connection: the relay was not back within 0.3 s",
    ]);
    expect(viewer.stats().waiting).toBe(0);
    // The listener is still there for the next program.
    const d = await localConnection(viewer.listening.port);
    await eventually(() => viewer.stats().waiting === 1);
    d.destroy();
  });
});

describe("a drain (4010)", () => {
  // A backoff of a minute or more: a reconnect that waited for it would not happen within the test.
  const slow = { initialMs: 60_000, maxMs: 240_000 };

  it("brings the client back at once, twice in a row, and does not count as a failure", async () => {
    const r = await relay();
    const { client, notices, ids } = clientOf(r, slow);
    await client.ready;
    (await r.session(1)).ws.close(CloseCode.draining, "relay draining");
    (await r.session(2)).ws.close(CloseCode.draining, "relay draining");
    const third = await r.session(3);
    await eventually(() => ids.length === 3);
    expect(notices.lines.filter((l) => /draining|reconnecting/.test(l))).toEqual([
      "the relay is draining (it released this session)",
      "reconnecting now",
      "the relay is draining (it released this session)",
      "reconnecting now",
    ]);
    // A drain whose reconnect then fails waits the initial backoff: the drain did not count as a failure.
    r.answer = "unavailable";
    third.ws.close(CloseCode.draining, "relay draining");
    const line = await notices.seen(/reconnecting in/);
    expect(notices.lines.at(-3)).toBe("reconnecting now");
    expect(notices.lines.at(-2)).toMatch(/the database is away/);
    const seconds = Number(/reconnecting in ([\d.]+) s/.exec(line)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(30);
    expect(seconds).toBeLessThanOrEqual(60);
    await client.stop();
    expect(await client.stopped).toEqual({ reason: "stopped" });
  });

  it("brings the viewer back at once, on the same port, with the new session's id", async () => {
    const r = await relay();
    const { viewer, notices, ids } = await viewerOf(r, { reconnect: slow });
    const port = viewer.listening.port;
    (await r.session(1)).ws.close(CloseCode.draining, "relay draining");
    const second = await r.session(2);
    await eventually(() => ids.length === 2);
    expect(viewer.sessionId).toBe(second.id);
    expect(viewer.listening.port).toBe(port);
    expect(notices.lines).toContain("reconnecting now");
    expect(notices.lines.some((l) => l.startsWith("reconnecting in"))).toBe(false);

    // close() while waiting out a backoff ends the viewer at once.
    second.ws.close(CloseCode.goingAway);
    await notices.seen(/reconnecting in/);
    await viewer.close();
    expect(await viewer.closed).toMatchObject({ why: "closed" });
  });
});

describe("stopping for good", () => {
  it("an account manager's disconnect (4003) stops the client and the viewer, and the viewer's port closes", async () => {
    const r = await relay();
    const { client } = clientOf(r, { initialMs: 50, maxMs: 200 });
    await client.ready;
    const clientSession = await r.session(1);
    const { viewer } = await viewerOf(r);
    const viewerSession = await r.session(2);
    clientSession.ws.close(CloseCode.disconnectedByAdmin);
    viewerSession.ws.close(CloseCode.disconnectedByAdmin);
    expect(await client.stopped).toEqual({ reason: "disconnected-by-admin" });
    expect(await viewer.closed).toMatchObject({ code: 4003, why: "disconnected-by-admin" });
    const refused = connect({ host: "127.0.0.1", port: viewer.listening.port });
    const error = await new Promise<Error & { code?: string }>((resolve) => refused.once("error", resolve));
    expect(error.code).toBe("ECONNREFUSED");
    expect(r.sessions).toHaveLength(2);
  });

  it("a reconnect refused by authentication stops the viewer with the person's reference-code message", async () => {
    const r = await relay();
    const { viewer } = await viewerOf(r);
    r.answer = "failure";
    (await r.session(1)).ws.close(CloseCode.goingAway);
    const end = await viewer.closed;
    expect(end.why).toBe("authentication");
    expect(end.error).toBeInstanceOf(AuthenticationError);
    expect(end.error?.message).toBe("Authentication error (reference code 291)");
    expect((end.error as AuthenticationError).referenceCode).toBe(291);
    expect(r.urls).toHaveLength(2);
  });

  it("with reconnect: false the viewer ends with its connection, as before", async () => {
    const r = await relay();
    const { viewer } = await viewerOf(r, { reconnect: false });
    (await r.session(1)).ws.close(CloseCode.draining, "relay draining");
    expect(await viewer.closed).toEqual({
      code: CloseCode.draining,
      reason: "relay draining",
      why: "connection-lost",
    });
  });
});
