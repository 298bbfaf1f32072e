/**
 * The relay's `GET /metrics` as an operator reads it, scraped over HTTP from a real relay while real
 * agents log in, fail, open channels and carry bytes: each handshake counted in its outcome class,
 * sessions and channels going up and down with the relay's state, bytes relayed at least what went
 * through, the database timed, the node alive; and no user name, address or reason in any label.
 */
import { connect as connectTcp, type Socket } from "node:net";
import { type Client, startClient, startViewer } from "@tsunagi/agent";
import { connect } from "@tsunagi/db";
import { afterAll, describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay } from "../src/server.js";
import {
  agentBase,
  clientHello,
  eventually,
  failureOf,
  firstAnswer,
  historyOf,
  rawConnection,
  startRelay,
  testConfig,
  useEchoServer,
  useStack,
} from "./helpers.js";
import { labelsOf, sample, scrape } from "./scrape.js";

const stack = useStack();
const echo = useEchoServer();
const others: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const other of others) await other.close();
});

/** The relay's metrics now, as text, with the sample reader bound to it. */
async function metricsOf(url: string = stack.url) {
  const { status, text } = await scrape(url);
  expect(status, text).toBe(200);
  return { text, value: (name: string, labels: Record<string, string> = {}) => sample(text, name, labels) };
}

const handshakes = (outcome: string) => ["tsunagi_relay_handshakes_total", { outcome }] as const;

/** A relay of its own over the test database, closed after the file. */
async function extraRelay(config: Parameters<typeof startRelay>[1]) {
  const started = await startRelay(stack.t, config);
  others.push(started.relay);
  return started;
}

/** Writes `payload` on a connection to the viewer's port and resolves once it came back, leaving it open. */
async function echoed(port: number, payload: Buffer): Promise<Socket> {
  const socket = connectTcp({ host: "127.0.0.1", port });
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (received >= payload.length) resolve();
    });
    socket.write(payload);
  });
  return socket;
}

describe("GET /metrics on the relay's port", () => {
  it("answers Prometheus text: every outcome class from zero, no session, the node alive, not draining", async () => {
    const { status, text } = await scrape(stack.url);
    expect(status).toBe(200);
    const m = await metricsOf();
    for (const outcome of ["success", "failure", "unavailable", "busy", "rate_limited", "malformed"]) {
      expect(m.value("tsunagi_relay_handshakes_total", { outcome }), outcome).toBe(0);
    }
    expect(m.value("tsunagi_relay_sessions", { role: "viewer" })).toBe(0);
    expect(m.value("tsunagi_relay_sessions", { role: "client" })).toBe(0);
    expect(m.value("tsunagi_relay_channels")).toBe(0);
    expect(m.value("tsunagi_relay_relayed_bytes_total")).toBe(0);
    expect(m.value("tsunagi_relay_hash_queue_depth")).toBe(0);
    expect(m.value("tsunagi_relay_hash_active")).toBe(0);
    expect(m.value("tsunagi_relay_node_alive")).toBe(1);
    expect(m.value("tsunagi_relay_draining")).toBe(0);
    expect(text).toContain("# TYPE tsunagi_relay_handshakes_total counter");
    expect(text).toContain("# TYPE tsunagi_relay_database_seconds histogram");
  });

  it("counts a success, a refused login and a malformed hello, each in its class", async () => {
    const client = startClient({
      ...agentBase(stack.url, "usb.ndl"),
      forward: { host: "127.0.0.1", port: echo.port },
    });
    await client.ready;
    let m = await metricsOf();
    expect(m.value(...handshakes("success"))).toBe(1);
    expect(m.value("tsunagi_relay_sessions", { role: "client" })).toBe(1);

    await failureOf(
      startClient({
        ...agentBase(stack.url, "user1", "not-the-password"),
        forward: { host: "127.0.0.1", port: echo.port },
        reconnect: false,
      }).ready,
    );
    const raw = await rawConnection(stack.url);
    raw.ws.send("this is not JSON");
    await raw.closed;

    m = await metricsOf();
    expect(m.value(...handshakes("success"))).toBe(1);
    expect(m.value(...handshakes("failure"))).toBe(1);
    expect(m.value(...handshakes("malformed"))).toBe(1);
    expect(m.value(...handshakes("rate_limited"))).toBe(0);
    // The refused login still holds no session; the client's does.
    expect(m.value("tsunagi_relay_sessions", { role: "client" })).toBe(1);
    // Both attempts' database work was timed; a session's heartbeat statement too, once one ran.
    expect(m.value("tsunagi_relay_database_seconds_count", { operation: "authentication" })).toBe(2);
    expect(m.value("tsunagi_relay_database_seconds_sum", { operation: "authentication" })).toBeGreaterThan(0);
    await eventually(
      async () =>
        (await metricsOf()).value("tsunagi_relay_database_seconds_count", { operation: "heartbeat" }) > 0,
    );

    await client.stop();
    await eventually(
      async () => (await metricsOf()).value("tsunagi_relay_sessions", { role: "client" }) === 0,
    );
  });

  it("counts rate-limited, busy and unavailable handshakes on the relay that refused them, and only there", async () => {
    const limited = await extraRelay({ rateLimitPerUser: { burst: 1, perSecond: 0.001 } });
    const busy = await extraRelay({ maxConcurrentHashes: 0, maxQueuedHashes: 0 });
    // A relay whose database connection is gone once it listens: a login cannot be decided.
    const lost = connect(stack.t.url);
    const unavailable = createRelay({ db: lost.db, config: testConfig, log: silentLog });
    others.push(unavailable);
    const unavailableUrl = (await unavailable.listen(0, "127.0.0.1")).url;
    // At once: the node registration holds one of its connections for its lock.
    await lost.sql.end({ timeout: 0 });

    await firstAnswer(await rawConnection(limited.url), clientHello("office.pc"));
    expect(await firstAnswer(await rawConnection(limited.url), clientHello("office.pc"))).toMatchObject({
      type: "error",
      code: "rate-limited",
    });
    expect(await firstAnswer(await rawConnection(busy.url), clientHello("office.pc"))).toMatchObject({
      type: "error",
      code: "rate-limited",
    });
    expect(await firstAnswer(await rawConnection(unavailableUrl), clientHello("office.pc"))).toMatchObject({
      type: "error",
      code: "unavailable",
    });

    expect((await metricsOf(limited.url)).value(...handshakes("rate_limited"))).toBe(1);
    expect((await metricsOf(busy.url)).value(...handshakes("busy"))).toBe(1);
    expect((await metricsOf(busy.url)).value(...handshakes("rate_limited"))).toBe(0);
    expect((await metricsOf(unavailableUrl)).value(...handshakes("unavailable"))).toBe(1);
    // Each relay counts its own: none of these reached the first relay's registry.
    const first = await metricsOf();
    expect(first.value(...handshakes("rate_limited"))).toBe(0);
    expect(first.value(...handshakes("busy"))).toBe(0);
    expect(first.value(...handshakes("unavailable"))).toBe(0);
  });

  it("follows sessions by role and open channels up and down; bytes relayed grow by at least what was carried", async () => {
    const before = await metricsOf();
    const relayedBefore = before.value("tsunagi_relay_relayed_bytes_total");
    const client: Client = startClient({
      ...agentBase(stack.url, "usb.ex"),
      forward: { host: "127.0.0.1", port: echo.port },
    });
    await client.ready;
    const viewer = await startViewer({
      ...agentBase(stack.url, "usb.ex"),
      product: "usb-ex",
      usbKeySerial: "EX-0003-0001",
      listen: { host: "127.0.0.1", port: 0 },
    });
    let m = await metricsOf();
    expect(m.value("tsunagi_relay_sessions", { role: "viewer" })).toBe(1);
    expect(m.value("tsunagi_relay_sessions", { role: "client" })).toBe(1);
    expect(m.value("tsunagi_relay_channels")).toBe(0);

    const payload = Buffer.alloc(256 * 1024, 7);
    const first = await echoed(viewer.listening.port, payload);
    const second = await echoed(viewer.listening.port, payload);
    m = await metricsOf();
    expect(m.value("tsunagi_relay_channels")).toBe(2);
    // Each payload went viewer → client and came back client → viewer.
    expect(m.value("tsunagi_relay_relayed_bytes_total") - relayedBefore).toBeGreaterThanOrEqual(
      4 * payload.length,
    );

    first.destroy();
    await eventually(async () => (await metricsOf()).value("tsunagi_relay_channels") === 1);
    second.destroy();
    await eventually(async () => (await metricsOf()).value("tsunagi_relay_channels") === 0);

    await viewer.close();
    await eventually(
      async () => (await metricsOf()).value("tsunagi_relay_sessions", { role: "viewer" }) === 0,
    );
    await client.stop();
    await eventually(
      async () => (await metricsOf()).value("tsunagi_relay_sessions", { role: "client" }) === 0,
    );
  });

  it("names no user, address or reason: labels are outcome, role and operation only", async () => {
    const { text } = await metricsOf();
    const [refused] = (await historyOf(stack.t, "user1", "client")).filter((row) => row.result === "failure");
    expect(refused?.reasonCode).toBeTypeOf("number");
    for (const name of ["usb.ndl", "usb.ex", "user1", "office.pc", "127.0.0.1", refused?.reasonKey ?? "?"]) {
      expect(text, name).not.toContain(name);
    }
    const { names, values } = labelsOf(text);
    expect([...names].sort()).toEqual(["le", "operation", "outcome", "role"]);
    const closed = new Set([
      ...["success", "failure", "unavailable", "busy", "rate_limited", "malformed"],
      ...["viewer", "client", "heartbeat", "authentication"],
    ]);
    // Every value is one of the closed sets, or a histogram bucket's bound: never the reason's code.
    for (const value of values) {
      expect(closed.has(value) || /^(\+Inf|\d+(\.\d+)?)$/.test(value), value).toBe(true);
    }
    expect(values.has(String(refused?.reasonCode))).toBe(false);
  });
});
