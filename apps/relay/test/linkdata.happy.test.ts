/**
 * Spliced data connections across two relays of one fleet (docs/protocol.md "Data connections"):
 * a viewer on one relay, its client on the other; each relay splices its agent's data connection
 * with one the viewer's relay dials to the other's internal listener, authenticated by the fleet key.
 * Byte-exact both ways, many channels at once, half-close kept, plain and over TLS; and a data
 * connection to the internal listener without the fleet key's MAC is refused.
 */
import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { startClient, startViewer } from "@tsunagi/agent";
import { describe, expect, it } from "vitest";
import { LINK_DATA_PATH } from "../src/link-data.js";
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

const stack = useStack();
const echo = useEchoServer();

/** Relays A (the viewer's) and B (the client's); `sealA` overrides A's own choice to seal. */
async function twoRelays(tls: boolean, sealA?: boolean) {
  const certs = tls ? await Promise.all([selfSigned("relay-a"), selfSigned("relay-b")]) : [];
  const make = (i: number) => {
    const cert = certs[i];
    return createRelay({
      db: stack.t.db,
      config: testConfig,
      log: silentLog,
      ...(cert ? { tls: cert } : {}),
      ...(i === 0 && sealA !== undefined ? { data: { sealed: sealA } } : {}),
    });
  };
  const a = make(0);
  const b = make(1);
  const [onA, onB] = await Promise.all([a.listen(0), b.listen(0)]);
  return { a, b, onA, onB, caA: certs[0]?.cert, caB: certs[1]?.cert };
}

describe.each([
  { name: "plain", tls: false, sealed: false },
  { name: "over TLS", tls: true, sealed: true },
  // The viewer's relay seals, the client's would not by itself: it seals the channel when asked.
  { name: "sealed at the viewer's relay's asking", tls: false, sealed: true, sealA: true },
])("a spliced channel across relays, $name", ({ tls, sealed, sealA }) => {
  it("is spliced at both relays and carries bytes exactly, 20 channels at once, with half-close", async () => {
    const { a, b, onA, onB, caA, caB } = await twoRelays(tls, sealA);
    // The client on B, the viewer on A: only the link and a data connection between them join them.
    const client = startClient({
      ...agentBase(onB.url, "usb.ndl"),
      ...(caB ? { ca: caB } : {}),
      dataPath: "spliced",
      forward: { host: "127.0.0.1", port: echo.port },
    });
    await client.ready;
    const viewer = await startViewer({
      ...agentBase(onA.url, "usb.ndl"),
      ...(caA ? { ca: caA } : {}),
      dataPath: "spliced",
      product: "usb-ndl",
      usbKeySerial: "NDL-0001-0001",
      listen: { host: "127.0.0.1", port: 0 },
    });
    await eventually(() => a.stats().data.parked >= 2 && b.stats().data.parked >= 2);

    const payload = randomBytes(1024 * 1024);
    expect(sha(await echoThrough(viewer.listening.port, payload))).toBe(sha(payload));
    expect(a.stats().data.joined).toBe(1);
    expect(b.stats().data.joined).toBe(1);

    const payloads = Array.from({ length: 20 }, () => randomBytes(128 * 1024));
    const backs = await Promise.all(payloads.map((p) => echoThrough(viewer.listening.port, p)));
    for (const [i, back] of backs.entries()) expect(sha(back)).toBe(sha(payloads[i] as Buffer));
    expect(a.stats().data.joined).toBe(21);
    expect(b.stats().data.joined).toBe(21);
    // The key made at the client's relay reaches both agents: the channels are sealed at both relays.
    expect(a.stats().data.sealed).toBe(sealed ? 21 : 0);
    expect(b.stats().data.sealed).toBe(sealed ? 21 : 0);
    // Between relays that speak TLS, a sealed channel's link data connection goes in clear: its bytes
    // are the agents' TLS already, and neither relay encrypts them again.
    expect(b.stats().data.linkedInClear).toBe(tls && sealed ? 21 : 0);
    expect(viewer.stats().sealed).toBe(sealed ? 21 : 0);
    expect(client.stats().sealed).toBe(sealed ? 21 : 0);
    expect(a.stats().links).toBe(1);
    await eventually(() => viewer.stats().channels === 0 && client.stats().channels === 0);
    await eventually(() => a.stats().data.spliced === 0 && b.stats().data.spliced === 0);

    await viewer.close();
    await client.stop();
    await eventually(async () => (await openSessions(stack.t)).length === 0);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("the internal listener's data connections", () => {
  it("refuses one whose MAC is not made with the fleet key", async () => {
    const relay: Relay = createRelay({ db: stack.t.db, config: testConfig, log: silentLog });
    const { internalUrl } = await relay.listen(0);
    const port = Number(new URL(internalUrl).port);
    const socket: Socket = connect({ host: "127.0.0.1", port });
    socket.on("error", () => {});
    let answer = "";
    socket.on("data", (d: Buffer) => {
      answer += d.toString();
    });
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write(
      `GET ${LINK_DATA_PATH} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: tsunagi-data/1\r\n` +
        `tsunagi-node: intruder\r\ntsunagi-token: ${"A".repeat(43)}\r\ntsunagi-mac: ${"0".repeat(64)}\r\n\r\n`,
    );
    await closed;
    expect(answer).toBe("");
    await relay.close();
  });
});
