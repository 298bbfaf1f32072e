/**
 * The reference agents losing a real relay and coming back (docs/protocol.md "Reconnection and
 * routing"): the viewer keeps its local port while the relay goes away and a new one starts on the same
 * port over the same database, and a connection made to that port meanwhile carries its bytes exactly
 * once the session is back; a drain (4010) sends client and viewer to another relay without the
 * backoff; an account manager's disconnect (4003) still stops both; a reconnect refused by
 * authentication stops the viewer with the person's reference-code message.
 *
 * A TCP front stands where HAProxy would: each connection goes to the first relay that accepts it, and
 * it can hold connections off (to make the viewer come back after its client, as the test needs).
 */
import { randomBytes } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import { startClient, startViewer, type Viewer } from "@tsunagi/agent";
import { CloseCode } from "@tsunagi/core/wire";
import { closeSession, schema } from "@tsunagi/db";
import { useTestDatabase } from "@tsunagi/db/testing";
import { seedDemo } from "@tsunagi/fixtures";
import { eq, inArray } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay, type Relay } from "../src/server.js";
import { agentBase, echoServer, eventually, historyOf, openSessions, testConfig } from "./helpers.js";

const t = useTestDatabase((fresh) => seedDemo(fresh.db));

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Reconnects soon after a loss, so the tests need not wait; a drain must not wait even this. */
const quick = { initialMs: 100, maxMs: 500 };
/** A backoff of a minute: an agent that waited for it would not be back within the test. */
const slow = { initialMs: 60_000, maxMs: 60_000 };

interface Front {
  readonly url: string;
  /** While true, every connection is closed at once, as if no relay were up. */
  hold: boolean;
}

/** A TCP front on 127.0.0.1:0: each connection goes to the first of `ports()` that accepts it. */
async function front(ports: () => number[]): Promise<Front> {
  const sockets = new Set<Socket>();
  // Half-open both ways, as a TCP proxy is: a spliced channel's half-close passes through it.
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (inbound) => {
    inbound.on("error", () => {});
    if (state.hold) return void inbound.destroy();
    sockets.add(inbound);
    const attempt = (candidates: number[]) => {
      const [port, ...rest] = candidates;
      if (port === undefined) return void inbound.destroy();
      const outbound = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
      sockets.add(outbound);
      const refused = () => attempt(rest);
      outbound.once("error", refused);
      outbound.once("connect", () => {
        outbound.off("error", refused);
        outbound.on("error", () => inbound.destroy());
        outbound.once("close", () => inbound.destroy());
        inbound.once("close", () => outbound.destroy());
        inbound.pipe(outbound);
        outbound.pipe(inbound);
        inbound.resume();
      });
    };
    attempt(ports());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const state: Front = {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}`,
    hold: false,
  };
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return state;
}

/** A relay on 127.0.0.1 at `port` (0: a free one) over the test database, closed after the test. */
async function relayOn(port: number): Promise<{ relay: Relay; port: number }> {
  const relay = createRelay({ db: t.db, config: testConfig, log: silentLog });
  const listening = await relay.listen(port, "127.0.0.1");
  cleanups.push(() => relay.close());
  return { relay, port: listening.port };
}

/** Sends `payload` through the viewer's local port, half-closes, and resolves with all that came back. */
function echoed(port: number, payload: Buffer, beforeWrite?: (socket: Socket) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    cleanups.push(() => socket.destroy());
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("end", () => {
      socket.end();
      resolve(Buffer.concat(chunks));
    });
    socket.once("error", reject);
    socket.once("close", () => resolve(Buffer.concat(chunks)));
    socket.once("connect", () => {
      beforeWrite?.(socket);
      socket.end(payload);
    });
  });
}

interface Watched<T> {
  readonly agent: T;
  /** Session ids in the order they opened. */
  readonly sessions: string[];
  readonly notices: string[];
}

function client(url: string, user: string, forwardPort: number, reconnect: typeof quick) {
  const sessions: string[] = [];
  const notices: string[] = [];
  const agent = startClient({
    ...agentBase(url, user),
    forward: { host: "127.0.0.1", port: forwardPort },
    reconnect,
    onConnected: (id) => sessions.push(id),
    onNotice: (text) => notices.push(text),
  });
  cleanups.push(() => agent.stop());
  return { agent, sessions, notices };
}

async function usbViewer(
  url: string,
  user: string,
  product: "usb-ndl" | "usb-xdl" | "usb-ex" | "fingerprint-ndl",
  usbKeySerial: string,
  reconnect: typeof quick,
): Promise<Watched<Viewer>> {
  const sessions: string[] = [];
  const notices: string[] = [];
  const agent = await startViewer({
    ...agentBase(url, user),
    product,
    usbKeySerial,
    listen: { host: "127.0.0.1", port: 0 },
    reconnect,
    onConnected: (id) => sessions.push(id),
    onNotice: (text) => notices.push(text),
  });
  cleanups.push(() => agent.close());
  return { agent, sessions, notices };
}

describe("the relay going away and coming back on the same port", () => {
  it("leaves the viewer on its port, and a connection made meanwhile carries its bytes exactly", async () => {
    const echo = await echoServer();
    cleanups.push(() => echo.close());
    const first = await relayOn(0);
    // The viewer dials through the front, so the test can let it back only after its client.
    const gate = await front(() => [first.port]);
    const url = `ws://127.0.0.1:${first.port}`;
    const c = client(url, "usb.ndl", echo.port, quick);
    await c.agent.ready;
    const v = await usbViewer(gate.url, "usb.ndl", "usb-ndl", "NDL-0001-0001", quick);
    const port = v.agent.listening.port;
    const before = randomBytes(64 * 1024);
    expect((await echoed(port, before)).equals(before)).toBe(true);

    gate.hold = true;
    await first.relay.close();
    await eventually(() => !v.agent.connected);
    // A program connects to the viewer's port while no relay is up: it waits, paused.
    const payload = randomBytes(512 * 1024);
    const back = echoed(port, payload);
    await eventually(() => v.agent.stats().waiting === 1);

    const second = await relayOn(first.port);
    expect(second.port).toBe(first.port);
    await eventually(() => c.sessions.length === 2, 15_000);
    gate.hold = false;
    await eventually(() => v.sessions.length === 2, 15_000);

    const received = await back;
    expect(received.length).toBe(payload.length);
    expect(received.equals(payload)).toBe(true);
    expect(v.agent.listening.port).toBe(port);
    expect(v.agent.sessionId).toBe(v.sessions[1]);
    const leases = (await openSessions(t)).map((s) => s.id);
    expect(leases).toEqual(expect.arrayContaining([v.agent.sessionId, c.sessions[1]]));
    expect(leases).not.toContain(v.sessions[0]);
  });
});

describe("a drain (4010)", () => {
  it("sends the client and the viewer to another relay at once, without the backoff, and they pair there", async () => {
    const echo = await echoServer();
    cleanups.push(() => echo.close());
    const a = await relayOn(0);
    const b = await relayOn(0);
    // The front prefers the first relay; once it stops listening, connections go to the second.
    const balancer = await front(() => [a.port, b.port]);
    const c = client(balancer.url, "usb.xdl", echo.port, slow);
    await c.agent.ready;
    const v = await usbViewer(balancer.url, "usb.xdl", "usb-xdl", "XDL-0002-0001", slow);
    const before = randomBytes(32 * 1024);
    expect((await echoed(v.agent.listening.port, before)).equals(before)).toBe(true);
    // The channel is gone at the relay too before the drain (else it would wait for it).
    await eventually(() => v.agent.stats().channels === 0 && c.agent.stats().channels === 0);

    await a.relay.drain(10_000);
    await eventually(() => c.sessions.length === 2 && v.sessions.length === 2, 15_000);
    for (const notices of [c.notices, v.notices]) {
      expect(notices).toContain("the relay is draining (it released this session)");
      expect(notices).toContain("reconnecting now");
      expect(notices.some((n) => n.startsWith("reconnecting in"))).toBe(false);
    }
    const after = randomBytes(32 * 1024);
    expect((await echoed(v.agent.listening.port, after)).equals(after)).toBe(true);

    // The drained sessions' rows have their end time; the new leases are the second relay's.
    const rows = await historyOf(t, "usb.xdl");
    for (const id of [c.sessions[0], v.sessions[0]]) {
      expect(rows.find((r) => r.sessionId === id)?.endedAt).not.toBeNull();
    }
    const leases = await openSessions(t);
    expect(leases.filter((s) => s.id === c.sessions[1] || s.id === v.sessions[1])).toHaveLength(2);
  });
});

describe("stopping for good", () => {
  it("an account manager's disconnect (4003) stops the reconnecting client and viewer", async () => {
    const echo = await echoServer();
    cleanups.push(() => echo.close());
    const { port } = await relayOn(0);
    const url = `ws://127.0.0.1:${port}`;
    const c = client(url, "finger.ndl", echo.port, quick);
    await c.agent.ready;
    const v = await usbViewer(url, "finger.ndl", "fingerprint-ndl", "FNDL-0004-0001", quick);
    await t.db
      .update(schema.activeSessions)
      .set({ disconnectRequestedAt: new Date() })
      .where(inArray(schema.activeSessions.id, [c.sessions[0] as string, v.agent.sessionId]));
    expect(await c.agent.stopped).toEqual({ reason: "disconnected-by-admin" });
    expect(await v.agent.closed).toMatchObject({
      code: CloseCode.disconnectedByAdmin,
      why: "disconnected-by-admin",
    });
    expect(c.sessions).toHaveLength(1);
    expect(v.sessions).toHaveLength(1);
  });

  it("a reconnect refused by authentication stops the viewer with the reference-code message", async () => {
    const { port } = await relayOn(0);
    const v = await usbViewer(`ws://127.0.0.1:${port}`, "usb.ex", "usb-ex", "EX-0003-0001", quick);
    // Locked meanwhile (without asking the session to end), then the lease removed: the relay ends
    // the session (4004) at its next heartbeat, and the viewer's next login is refused.
    await t.db
      .update(schema.users)
      .set({ lockedUntil: new Date(Date.now() + 3_600_000) })
      .where(eq(schema.users.userName, "usb.ex"));
    cleanups.push(() =>
      t.db.update(schema.users).set({ lockedUntil: null }).where(eq(schema.users.userName, "usb.ex")),
    );
    expect(await closeSession(t.db, v.agent.sessionId)).toBe(true);
    const end = await v.agent.closed;
    expect(end.why).toBe("authentication");
    expect(end.error?.message).toBe("Authentication error (reference code 291)");
    expect(v.notices).toContain(`connection to the relay lost (${CloseCode.sessionEnded} session ended)`);
    expect(v.sessions).toHaveLength(1);
  });
});
