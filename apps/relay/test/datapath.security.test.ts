/**
 * Data connections' tokens and parking (docs/security.md "Data connections"): only an authenticated
 * session parks connections, with its own pool secret and within its cap; a token is accepted once,
 * only on a data connection of the session it was issued to; a channel whose halves don't both come
 * is ended. Written by hand against the real relay: raw control connections and raw data connections.
 */
import { connect, type Socket } from "node:net";
import { DataRefusedError, dialData, tokenBytes } from "@tsunagi/agent";
import type { FromRelay } from "@tsunagi/core/wire";
import { describe, expect, it } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay } from "../src/server.js";
import {
  clientHello,
  eventually,
  openSessions,
  type RawConnection,
  rawConnection,
  testConfig,
  usbViewerHello,
  useStack,
} from "./helpers.js";

const stack = useStack();

/** Waits until no session is open, so the next test may log the same users in. */
const sessionsGone = () => eventually(async () => (await openSessions(stack.t)).length === 0);

/** A relay whose tokens live `tokenTtlMs` (short for the unpaired test), on the test's database. */
async function relayWith(tokenTtlMs = 10_000, maxParked = 3) {
  const relay = createRelay({
    db: stack.t.db,
    config: testConfig,
    log: silentLog,
    data: { tokenTtlMs, maxParked },
  });
  const { url } = await relay.listen(0, "127.0.0.1");
  return { relay, url };
}

type Result = Extract<FromRelay, { type: "result" }>;

/** Logs in by hand and returns the connection and its result (with the pool secret). */
async function login(url: string, hello: Parameters<RawConnection["send"]>[0]) {
  const raw = await rawConnection(url);
  raw.send(hello);
  await eventually(() => raw.messages.length > 0, 20_000);
  const result = raw.messages[0] as Result;
  expect(result.type).toBe("result");
  expect(result.data?.pool).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return { raw, result };
}

const park = (url: string, result: Result) =>
  dialData({
    url: new URL("/v1/data", url),
    sessionId: result.sessionId,
    pool: result.data?.pool ?? "",
  });

/** Resolves once the relay has closed `socket`, with whatever it sent first. */
const closedBy = (socket: Socket) =>
  new Promise<string>((resolve) => {
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString();
    });
    socket.on("error", () => {});
    socket.once("close", () => resolve(text));
    // Data connections allow half-open: the relay's FIN is answered, so the socket closes.
    socket.once("end", () => socket.end());
    socket.resume();
  });

const closeOf = (raw: RawConnection, channelId: number) =>
  raw.messages.find(
    (m): m is Extract<FromRelay, { type: "close" }> => m.type === "close" && m.channelId === channelId,
  );

const openOf = (raw: RawConnection, channelId?: number) =>
  raw.messages.find(
    (m): m is Extract<FromRelay, { type: "open" }> =>
      m.type === "open" && (channelId === undefined || m.channelId === channelId),
  );

/** A pair logged in by hand, each with a data connection parked, and a channel opened asking for one. */
async function splicedChannel(url: string, user: "usb.ndl" | "usb.xdl" | "usb.ex", channelId = 1) {
  const product = user === "usb.ndl" ? "usb-ndl" : user === "usb.xdl" ? "usb-xdl" : "usb-ex";
  const serial = user === "usb.ndl" ? "NDL-0001-0001" : user === "usb.xdl" ? "XDL-0002-0001" : "EX-0003-0001";
  const client = await login(url, clientHello(user));
  const viewer = await login(url, usbViewerHello(user, product, serial));
  const clientData = await park(url, client.result);
  const viewerData = await park(url, viewer.result);
  viewer.raw.send({ type: "open", channelId, data: true });
  await eventually(() => openOf(viewer.raw, channelId) !== undefined && openOf(client.raw) !== undefined);
  const viewerToken = openOf(viewer.raw, channelId)?.token ?? "";
  const clientOpen = openOf(client.raw);
  expect(viewerToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(clientOpen?.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return {
    client,
    viewer,
    clientData,
    viewerData,
    viewerToken,
    clientToken: clientOpen?.token ?? "",
    clientChannel: clientOpen?.channelId ?? 0,
    async close() {
      for (const s of [clientData, viewerData]) s.destroy();
      client.raw.ws.close();
      viewer.raw.ws.close();
      await Promise.all([client.raw.closed, viewer.raw.closed]);
      await sessionsGone();
    },
  };
}

/** Reads from `socket` until `text` has arrived. */
const receive = (socket: Socket, text: string) =>
  new Promise<void>((resolve) => {
    let got = "";
    const on = (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) {
        socket.off("data", on);
        expect(got).toBe(text);
        resolve();
      }
    };
    socket.on("data", on);
    socket.resume();
  });

describe("parking a data connection", () => {
  it("needs a live session's id and its own pool secret, and stays within the session's cap", async () => {
    const { relay, url } = await relayWith(10_000, 3);
    const { raw, result } = await login(url, clientHello("usb.ndl"));
    const other = await login(url, clientHello("usb.xdl"));
    const wrong = async (sessionId: string, pool: string) => {
      const error = await dialData({ url: new URL("/v1/data", url), sessionId, pool }).then(
        (s) => {
          s.destroy();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DataRefusedError);
      return (error as Error).message;
    };
    // Another session's secret, a made-up session, no secret: refused before anything is parked.
    expect(await wrong(result.sessionId, other.result.data?.pool ?? "")).toMatch(/403/);
    expect(await wrong("00000000-0000-0000-0000-000000000000", result.data?.pool ?? "")).toMatch(/403/);
    expect(await wrong(result.sessionId, "")).toMatch(/403/);
    expect(relay.stats().data.parked).toBe(0);
    // Its own: parked, up to the cap and no further.
    const parked = await Promise.all([1, 2, 3].map(() => park(url, result)));
    expect(relay.stats().data.parked).toBe(3);
    expect(await wrong(result.sessionId, result.data?.pool ?? "")).toMatch(/429/);
    // The session ends: its parked connections go with it.
    const gone = parked.map(closedBy);
    raw.ws.close();
    await Promise.all(gone);
    expect(relay.stats().data.parked).toBe(0);
    other.raw.ws.close();
    await other.raw.closed;
    await sessionsGone();
    await relay.close();
  });

  it("is refused with a plain upgrade to anything else on /v1/data", async () => {
    const { url } = await relayWith();
    const port = Number(new URL(url).port);
    const socket = connect({ host: "127.0.0.1", port });
    socket.write("GET /v1/data HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    expect(await closedBy(socket)).toMatch(/^HTTP\/1\.1 400/);
  });
});

describe("tokens", () => {
  it("splice the two halves presented on the sessions they were issued to, both ways, until a session ends", async () => {
    const { relay, url } = await relayWith();
    const c = await splicedChannel(url, "usb.ndl");
    c.viewerData.write(tokenBytes(c.viewerToken));
    c.clientData.write(tokenBytes(c.clientToken));
    c.viewerData.write("to the client");
    await receive(c.clientData, "to the client");
    c.clientData.write("to the viewer");
    await receive(c.viewerData, "to the viewer");
    expect(relay.stats().data.joined).toBe(1);
    // The session ends (as an account manager's disconnect ends it): its spliced channel goes with it.
    const cut = [closedBy(c.viewerData), closedBy(c.clientData)];
    c.client.raw.ws.close();
    await Promise.all(cut);
    expect(relay.stats().data.spliced).toBe(0);
    await c.close();
    await relay.close();
  });

  it("refuses a stolen token (on another session's data connection) and ends its channel at both ends", async () => {
    const { relay, url } = await relayWith();
    const c = await splicedChannel(url, "usb.ndl");
    // Another user's session presents the viewer's token on a data connection of its own.
    const thief = await login(url, clientHello("usb.xdl"));
    const thiefData = await park(url, thief.result);
    const refused = closedBy(thiefData);
    thiefData.write(tokenBytes(c.viewerToken));
    await refused;
    // The channel is ended at both ends, and the token is spent: the rightful owner can't use it either.
    await eventually(
      () => closeOf(c.viewer.raw, 1) !== undefined && closeOf(c.client.raw, c.clientChannel) !== undefined,
    );
    expect(closeOf(c.viewer.raw, 1)?.reason).toMatch(/another session/);
    const late = closedBy(c.viewerData);
    c.viewerData.write(tokenBytes(c.viewerToken));
    await late;
    expect(relay.stats().data.joined).toBe(0);
    expect(relay.stats().data.spliced).toBe(0);
    thief.raw.ws.close();
    await thief.raw.closed;
    await c.close();
    await relay.close();
  });

  it("refuses a replayed token: accepted once, the second presentation is closed and the splice stands", async () => {
    const { relay, url } = await relayWith();
    const c = await splicedChannel(url, "usb.xdl");
    c.viewerData.write(tokenBytes(c.viewerToken));
    c.clientData.write(tokenBytes(c.clientToken));
    c.viewerData.write("first");
    await receive(c.clientData, "first");
    // The same token again, on another data connection of the same session.
    const again = await park(url, c.viewer.result);
    const refused = closedBy(again);
    again.write(tokenBytes(c.viewerToken));
    expect(await refused).toBe("");
    // The channel is untouched by it.
    c.viewerData.write("still here");
    await receive(c.clientData, "still here");
    expect(relay.stats().data.joined).toBe(1);
    expect(closeOf(c.viewer.raw, 1)).toBeUndefined();
    await c.close();
    await relay.close();
  });

  it("times an unpaired half out: its connection is closed and the channel ends at both ends", async () => {
    const { relay, url } = await relayWith(300);
    const c = await splicedChannel(url, "usb.ex");
    const cut = closedBy(c.viewerData);
    c.viewerData.write(tokenBytes(c.viewerToken));
    // The client never presents its token.
    await cut;
    await eventually(
      () => closeOf(c.viewer.raw, 1) !== undefined && closeOf(c.client.raw, c.clientChannel) !== undefined,
    );
    expect(closeOf(c.viewer.raw, 1)?.reason).toMatch(/not paired in time/);
    expect(relay.stats().data.spliced).toBe(0);
    // The expired token is no use afterwards.
    const late = closedBy(c.clientData);
    c.clientData.write(tokenBytes(c.clientToken));
    await late;
    expect(relay.stats().data.joined).toBe(0);
    await c.close();
    await relay.close();
  });

  it("refuses binary frames for a spliced channel on the control connection (1008)", async () => {
    const { relay, url } = await relayWith();
    const c = await splicedChannel(url, "usb.ndl");
    const frame = Buffer.alloc(8);
    frame.writeUInt32BE(1, 0);
    c.viewer.raw.ws.send(frame, { binary: true });
    expect((await c.viewer.raw.closed).code).toBe(1008);
    await c.close();
    await relay.close();
  });
});

describe("the splice's seams", () => {
  it("keeps the bytes that came with the request and the token in one write", async () => {
    const { relay, url } = await relayWith();
    const c = await splicedChannel(url, "usb.ndl");
    // The viewer's half: a connection of its own that sends the request, its token and the channel's
    // first bytes at once (the protocol does not make it wait for the 101).
    const port = Number(new URL(url).port);
    const pipelined = connect({ host: "127.0.0.1", port, allowHalfOpen: true });
    await new Promise((r) => pipelined.once("connect", r));
    pipelined.write(
      Buffer.concat([
        Buffer.from(
          `GET /v1/data HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tsunagi-data/1\r\n` +
            `tsunagi-session: ${c.viewer.result.sessionId}\r\ntsunagi-pool: ${c.viewer.result.data?.pool}\r\n\r\n`,
        ),
        tokenBytes(c.viewerToken),
        Buffer.from("sent with the token"),
      ]),
    );
    // The other half comes later: what came with the token waits for it.
    await new Promise((r) => setTimeout(r, 200));
    c.clientData.write(tokenBytes(c.clientToken));
    await receive(c.clientData, "sent with the token");
    expect(relay.stats().data.joined).toBe(1);
    pipelined.destroy();
    await c.close();
    await relay.close();
  });

  it("tells both agents that a reset half failed, rather than ending their channel as finished", async () => {
    const { relay, url } = await relayWith();
    const c = await splicedChannel(url, "usb.ndl");
    c.viewerData.write(tokenBytes(c.viewerToken));
    c.clientData.write(tokenBytes(c.clientToken));
    c.viewerData.write("before the reset");
    await receive(c.clientData, "before the reset");
    c.clientData.on("error", () => {});
    c.viewerData.resetAndDestroy();
    await eventually(() => closeOf(c.client.raw, c.clientChannel) !== undefined);
    expect(closeOf(c.client.raw, c.clientChannel)?.reason).toMatch(/data connection failed/);
    await c.close();
    await relay.close();
  });
});
