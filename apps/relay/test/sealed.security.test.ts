/**
 * Sealed channels (docs/protocol.md "Sealed channels"), against a relay that terminates TLS itself:
 * its port takes plain TCP for data connections and for nothing else (a login in clear is refused);
 * a sealed channel's bytes cross the network and the relay as the agents' TLS records only; and where
 * something in between passes only TLS, the agents park TLS data connections and still seal.
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { describe, expect, it } from "vitest";
import type { RelayConfig } from "../src/config.js";
import { silentLog } from "../src/log.js";
import { createRelay } from "../src/server.js";
import {
  agentBase,
  echoThrough,
  eventually,
  historyOf,
  openSessions,
  selfSigned,
  sha,
  testConfig,
  usbNdlAgents,
  useEchoServer,
  useStack,
} from "./helpers.js";

const stack = useStack();
const echo = useEchoServer();

const sessionsGone = () => eventually(async () => (await openSessions(stack.t)).length === 0);

async function tlsRelay(config: Partial<RelayConfig> = {}) {
  const cert = await selfSigned("relay");
  const relay = createRelay({
    db: stack.t.db,
    config: { ...testConfig, ...config },
    log: silentLog,
    tls: cert,
  });
  const { port } = await relay.listen(0, "127.0.0.1");
  return { relay, port, ca: cert.cert };
}

/**
 * A TCP hop in front of the relay that records what each connection carried towards it; with
 * `onlyTls`, a connection whose first byte does not open a TLS handshake is reset, as a TLS-only
 * proxy or firewall would.
 */
async function front(relayPort: number, onlyTls = false) {
  const streams: Buffer[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (inbound) => {
    const seen: Buffer[] = [];
    streams.push(seen);
    const outbound = connect({ host: "127.0.0.1", port: relayPort, allowHalfOpen: true });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => {
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.on("data", (chunk: Buffer) => {
      if (onlyTls && seen.length === 0 && chunk[0] !== 0x16) {
        inbound.resetAndDestroy();
        outbound.destroy();
        return;
      }
      seen.push(Buffer.from(chunk));
      outbound.write(chunk);
    });
    outbound.on("data", (chunk: Buffer) => inbound.write(chunk));
    inbound.on("end", () => outbound.end());
    outbound.on("end", () => inbound.end());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `wss://127.0.0.1:${(server.address() as { port: number }).port}`,
    /** Each connection's bytes towards the relay, whole. */
    streams: () => streams.map((s) => Buffer.concat(s)),
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** A client forwarding to the echo server and its viewer, through `url`. */
async function agents(url: string, ca: Buffer, notices: string[]) {
  const { client, viewer } = await usbNdlAgents(
    { ...agentBase(url, "usb.ndl"), ca, dataPath: "spliced", onNotice: (t: string) => notices.push(t) },
    echo.port,
  );
  return {
    port: viewer.listening.port,
    /** Channels both agents sealed (each counts its own). */
    sealed: () => Math.min(viewer.stats().sealed, client.stats().sealed),
    async close() {
      await viewer.close();
      await client.stop();
      await sessionsGone();
    },
  };
}

/** A raw exchange on the relay's port: what it answered to `request`, until it closed. */
async function rawAnswer(port: number, request: string): Promise<string> {
  const socket = connect({ host: "127.0.0.1", port });
  let answer = "";
  socket.on("data", (d: Buffer) => {
    answer += d.toString("latin1");
  });
  socket.on("error", () => {});
  socket.write(request);
  await once(socket, "close");
  return answer;
}

describe("a sealing relay's TLS port, spoken to in clear", () => {
  it("refuses a login (the control upgrade), any other request, and a data upgrade without the session's secret", async () => {
    const { relay, port } = await tlsRelay();
    try {
      const login = await rawAnswer(
        port,
        "GET /v1/connect HTTP/1.1\r\nHost: relay\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
      expect(login).toMatch(/^HTTP\/1\.1 426 /);
      expect(login).not.toMatch(/101/);
      const page = await rawAnswer(port, "GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n");
      expect(page).toMatch(/^HTTP\/1\.1 426 /);
      expect(page).toContain("tls-required");
      const data = await rawAnswer(
        port,
        "GET /v1/data HTTP/1.1\r\nHost: relay\r\nConnection: Upgrade\r\nUpgrade: tsunagi-data/1\r\n" +
          `tsunagi-session: nobody\r\ntsunagi-pool: ${"A".repeat(43)}\r\n\r\n`,
      );
      expect(data).toMatch(/^HTTP\/1\.1 403 /);
      expect(relay.stats().data.parked).toBe(0);
      expect(await openSessions(stack.t)).toHaveLength(0);
    } finally {
      await relay.close();
    }
  });
});

/** Resolves when `socket` closes, however (a reset included: `once` would reject on its error). */
const closeOf = (socket: Socket) => new Promise<void>((resolve) => socket.once("close", () => resolve()));

describe("a sealing relay's port, held open", () => {
  /** A connection that sends `bytes` and then nothing; resolves when the relay closes it. */
  const holding = async (port: number, bytes: string | Buffer) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("error", () => {});
    await once(socket, "connect");
    socket.write(bytes);
    return { socket, closed: closeOf(socket) };
  };

  it("drops a connection that sends nothing, or half a request in clear or over TLS, once the handshake time is up", async () => {
    const { relay, port, ca } = await tlsRelay({ handshakeTimeoutMs: 1_000 });
    // Agents whose connections made their requests (a login, data upgrades) are not dropped.
    const pair = await agents(`wss://127.0.0.1:${port}`, ca, []);
    try {
      await eventually(() => relay.stats().data.parked >= 4);
      const silent = await holding(port, Buffer.alloc(0));
      const half = await holding(port, "GET /v1/data HTTP/1.1\r\nHost: relay\r\n");
      const tls = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false });
      tls.on("error", () => {});
      await once(tls, "secureConnect");
      tls.write("GET /healthz HTTP/1.1\r\nHost: relay\r\n");
      // A whole request is answered, and its connection closed rather than kept alive for a second
      // request that could be sent a byte at a time.
      const whole = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false });
      whole.on("error", () => {});
      let answer = "";
      whole.on("data", (d: Buffer) => {
        answer += d.toString("latin1");
      });
      await once(whole, "secureConnect");
      whole.write("GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n");
      // All go by themselves (the relay stays open): none would without a deadline of ours.
      await Promise.all([silent.closed, half.closed, closeOf(tls), closeOf(whole)]);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer.toLowerCase()).toContain("connection: close");
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const payload = randomBytes(64 * 1024);
      expect(sha(await echoThrough(pair.port, payload))).toBe(sha(payload));
      expect(relay.stats().data.sealed).toBe(1);
      // The same two sessions throughout: no agent was dropped and logged in again.
      expect(await historyOf(stack.t, "usb.ndl")).toHaveLength(2);
    } finally {
      await pair.close();
      await relay.close();
    }
  });

  it("closes with half-sent requests open on both sides, plain and TLS", async () => {
    const { relay, port } = await tlsRelay();
    const half = await holding(port, "GET /v1/data HTTP/1.1\r\nHost: relay\r\n");
    const tls = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false });
    tls.on("error", () => {});
    await once(tls, "secureConnect");
    tls.write("GET /healthz HTTP/1.1\r\nHost: relay\r\n");
    const tlsClosed = closeOf(tls);
    // The test's own time limit is the check: close() used to wait for these for ever.
    await relay.close();
    await Promise.all([half.closed, tlsClosed]);
  });
});

describe("a sealed channel", () => {
  it("crosses the network in plain TCP data connections that carry only the agents' TLS records", async () => {
    const { relay, port, ca } = await tlsRelay();
    const hop = await front(port);
    const notices: string[] = [];
    const pair = await agents(hop.url, ca, notices);
    try {
      await eventually(() => relay.stats().data.parked >= 4);
      // A payload whose every 1 KiB holds a marker: any cleartext on the wire would show one.
      const marker = Buffer.from("TSUNAGI-CLEARTEXT-MARKER");
      const payload = Buffer.concat(
        Array.from({ length: 512 }, () => Buffer.concat([marker, randomBytes(1000)])),
      );
      expect(sha(await echoThrough(pair.port, payload))).toBe(sha(payload));
      expect(relay.stats().data.sealed).toBe(1);
      expect(pair.sealed()).toBe(1);
      const streams = hop.streams();
      const plainData = streams.filter((s) => s.subarray(0, 12).toString("latin1") === "GET /v1/data");
      // The agents' parked connections are plain TCP (their upgrade readable on the wire)...
      expect(plainData.length).toBeGreaterThanOrEqual(4);
      // ...and the control connections TLS from their first byte.
      expect(streams.filter((s) => s[0] === 0x16).length).toBe(2);
      for (const stream of streams) expect(stream.includes(marker)).toBe(false);
      // What follows the token on the used data connection is a TLS record (22: its ClientHello).
      const used = plainData.filter((s) => s.length > s.indexOf("\r\n\r\n") + 4 + 32);
      expect(used.length).toBeGreaterThanOrEqual(1);
      for (const s of used) expect(s[s.indexOf("\r\n\r\n") + 4 + 32]).toBe(0x16);
      expect(notices.filter((n) => /data connections use TLS/.test(n))).toEqual([]);
    } finally {
      await pair.close();
      hop.close();
      await relay.close();
    }
  });

  it("where only TLS gets through, parks TLS data connections instead and is still sealed", async () => {
    const { relay, port, ca } = await tlsRelay();
    const hop = await front(port, true);
    const notices: string[] = [];
    const pair = await agents(hop.url, ca, notices);
    try {
      await eventually(() => relay.stats().data.parked >= 4);
      const payloads = Array.from({ length: 10 }, () => randomBytes(256 * 1024));
      const backs = await Promise.all(payloads.map((p) => echoThrough(pair.port, p)));
      for (const [i, back] of backs.entries()) expect(sha(back)).toBe(sha(payloads[i] as Buffer));
      expect(relay.stats().data.joined).toBe(10);
      expect(relay.stats().data.sealed).toBe(10);
      expect(pair.sealed()).toBe(10);
      // Said once per agent at most; an agent that starts after the other found out dials TLS at once.
      const said = notices.filter((n) => /data connections use TLS/.test(n)).length;
      expect(said).toBeGreaterThanOrEqual(1);
      expect(said).toBeLessThanOrEqual(2);
      // The plain dials were reset (nothing passed); everything that passed is TLS.
      const passed = hop.streams().filter((s) => s.length > 0);
      expect(hop.streams().length - passed.length).toBeGreaterThanOrEqual(2);
      for (const stream of passed) expect(stream[0]).toBe(0x16);
    } finally {
      await pair.close();
      hop.close();
      await relay.close();
    }
  });
});
