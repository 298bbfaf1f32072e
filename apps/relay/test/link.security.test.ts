/**
 * The internal link between relays faces whoever reaches the internal port: nothing is carried and no
 * channel opened before the other side proves it holds the fleet key, and a relay dialling an address
 * now answered by another node (the lease named one that is gone) does not link to it.
 */
import { createHmac } from "node:crypto";
import { fleetKey } from "@tsunagi/db";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Links } from "../src/link.js";
import { silentLog } from "../src/log.js";
import { Peers } from "../src/peers.js";
import { Tunnel } from "../src/tunnel.js";
import { startRelay, useStack } from "./helpers.js";

const stack = useStack();

/** Opens a raw link and returns the relay's first message (its challenge) and the socket. */
async function rawLink(internalUrl: string) {
  const ws = new WebSocket(new URL("/v1/link", internalUrl));
  const first = await new Promise<{ type: string; node: string; nonce: string }>((resolve, reject) => {
    ws.once("message", (data) => resolve(JSON.parse(data.toString())));
    ws.once("error", reject);
  });
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  return { ws, first, closed };
}

const mac = (key: Buffer, nonce: string, dialer: string, acceptor: string) =>
  createHmac("sha256", key)
    .update(["tsunagi-link-v1", "dialer", nonce, dialer, acceptor, ""].join("\u0000"))
    .digest("hex");

describe("the internal link", () => {
  it("drops a dialler that does not hold the fleet key, before any open is read", async () => {
    const relay = await startRelay(stack.t);
    const { ws, first, closed } = await rawLink(relay.internalUrl);
    expect(first.type).toBe("challenge");
    ws.send(
      JSON.stringify({
        type: "auth",
        node: "intruder",
        nonce: Buffer.alloc(32).toString("base64"),
        mac: mac(Buffer.alloc(32), first.nonce, "intruder", first.node),
      }),
    );
    ws.send(JSON.stringify({ type: "open", channelId: 1, server: "asp1", target: "usb.ndl", viewer: "x" }));
    expect(await closed).toBe(1006);
    expect(relay.relay.stats().links).toBe(0);
    await relay.relay.close();
  });

  it("drops a dialler whose first message is an open, not its proof", async () => {
    const relay = await startRelay(stack.t);
    const { ws, closed } = await rawLink(relay.internalUrl);
    ws.send(JSON.stringify({ type: "open", channelId: 1, server: "asp1", target: "usb.ndl", viewer: "x" }));
    expect(await closed).toBe(1006);
    await relay.relay.close();
  });

  it("admits a dialler with the fleet key, and answers with its own proof", async () => {
    const relay = await startRelay(stack.t);
    const key = await fleetKey(stack.t.db);
    const { ws, first } = await rawLink(relay.internalUrl);
    expect(first.node).toBe(relay.relay.nodeId);
    const nonce = Buffer.alloc(32, 7).toString("base64");
    ws.send(
      JSON.stringify({ type: "auth", node: "peer", nonce, mac: mac(key, first.nonce, "peer", first.node) }),
    );
    const ready = await new Promise<{ type: string; mac: string }>((resolve) =>
      ws.once("message", (data) => resolve(JSON.parse(data.toString()))),
    );
    expect(ready.type).toBe("ready");
    const expected = createHmac("sha256", key)
      .update(["tsunagi-link-v1", "acceptor", nonce, "peer", first.node, ""].join("\u0000"))
      .digest("hex");
    expect(ready.mac).toBe(expected);
    ws.close();
    await relay.relay.close();
  });

  it("does not link to another node answering at the address a lease's node had", async () => {
    const other = await startRelay(stack.t);
    const peers = new Peers(1 << 20, 1 << 21, () => {});
    const tunnel = new Tunnel({
      peers,
      db: stack.t.db,
      log: silentLog,
      maxBinaryFrameBytes: 1 << 18,
      maxChannelsPerSession: 8,
    });
    const links = new Links({
      selfId: "tester",
      db: stack.t.db,
      log: silentLog,
      peers,
      tunnel,
      key: () => fleetKey(stack.t.db),
      maxPayload: 1 << 20,
      keepAliveMs: 60_000,
    });
    try {
      await expect(links.to("ghost", other.internalUrl)).rejects.toThrow(/now node/);
      const link = await links.to(other.relay.nodeId, other.internalUrl);
      expect(link.role).toBe("link");
      expect(links.size).toBe(1);
    } finally {
      links.close();
      await other.relay.close();
    }
  });
});
