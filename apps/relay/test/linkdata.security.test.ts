/**
 * A link data connection in clear on a TLS internal port (docs/protocol.md "Sealed channels"): taken
 * for a sealed channel, whose bytes are the agents' TLS; refused for one that is not sealed, and that
 * channel ended at both ends. Against data.ts's DataPath directly, with a socket pair on loopback: the
 * relays that would arrange it (one not sealing, dialling in clear) are not what the fleet runs.
 */
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { DataPath } from "../src/data.js";
import { silentLog } from "../src/log.js";
import { Peer, Peers } from "../src/peers.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** The relay's end of a loopback connection, and what its far end was sent until closed. */
async function accepted(): Promise<{ socket: Socket; answer: Promise<string> }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const far = connect({ host: "127.0.0.1", port: (server.address() as { port: number }).port });
  far.on("error", () => {});
  const [socket] = (await once(server, "connection")) as [Socket];
  let text = "";
  far.on("data", (d: Buffer) => {
    text += d.toString("latin1");
  });
  const answer = new Promise<string>((resolve) => far.once("close", () => resolve(text)));
  far.once("end", () => far.end());
  cleanups.push(() => {
    far.destroy();
    socket.destroy();
    server.close();
  });
  return { socket, answer };
}

function setup(sealed: boolean) {
  const sent: { to: string; message: { type: string; reason?: string } }[] = [];
  const peers = new Peers(1 << 20, 1 << 21, () => {});
  peers.sendControl = (to: Peer, message: object) => {
    sent.push({ to: to.role, message: message as { type: string; reason?: string } });
  };
  const ws = { once: () => {} } as unknown as WebSocket;
  const viewer = new Peer(ws, "viewer", "asp1", "usb.ndl", "s-viewer", "usb.ndl", new Set());
  const link = new Peer(ws, "link", "", "node-a", "link-a", "", new Set());
  const path = new DataPath({ peers, log: silentLog, sealed });
  // The client's relay's side of a channel across relays: its viewer half is the link's data connection.
  const spliced = path.splice(link, 3, viewer, 4);
  for (const [peer, id] of [
    [link, 3],
    [viewer, 4],
  ] as const) {
    peer.channels.set(id, { peer, id, inFlight: 0, splice: spliced.handle });
  }
  return { path, spliced, sent };
}

describe("a link data connection in clear on a TLS internal port", () => {
  it("is refused for a channel not sealed, which ends at both ends", async () => {
    const { path, spliced, sent } = setup(false);
    const { socket, answer } = await accepted();
    path.acceptLinked(socket, "node-a", spliced.viewer, true);
    expect(await answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(path.linkedInClear).toBe(0);
    expect(sent.map((s) => s.message.reason)).toEqual([
      "a link data connection came in clear for a channel not sealed",
      "a link data connection came in clear for a channel not sealed",
    ]);
  });

  it("is taken for a sealed channel", async () => {
    const { path, spliced, sent } = setup(true);
    expect(spliced.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const { socket, answer } = await accepted();
    path.acceptLinked(socket, "node-a", spliced.viewer, true);
    expect(path.linkedInClear).toBe(1);
    expect(sent).toEqual([]);
    path.close();
    expect(await answer).toMatch(/^HTTP\/1\.1 101 /);
  });
});
