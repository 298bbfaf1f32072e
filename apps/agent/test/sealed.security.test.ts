/**
 * An agent whose data connections are plain TCP to a TLS relay (a sealing one, docs/protocol.md
 * "Sealed channels") carries only sealed channels on them: an `open` with a token and no key (a relay
 * that would have the channel's bytes cross the network in clear) is refused with a `close`, and the
 * data connection never carries a byte.
 */
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { plainToTlsRelay } from "../src/tunnel/data.js";
import { Mux } from "../src/tunnel/mux.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A connected pair of loopback sockets: ours, and what the far end of it receives. */
async function socketPair(): Promise<{ ours: Socket; received: () => Buffer }> {
  const chunks: Buffer[] = [];
  const server = createServer((far) => {
    far.on("data", (c: Buffer) => chunks.push(c));
    far.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const ours = connect({ host: "127.0.0.1", port: (server.address() as { port: number }).port });
  ours.on("error", () => {});
  await once(ours, "connect");
  cleanups.push(() => {
    ours.destroy();
    server.close();
  });
  return { ours, received: () => Buffer.concat(chunks) };
}

describe("a plain data connection to a TLS relay", () => {
  it.each(["client", "viewer"] as const)(
    "refuses, as the %s, a channel the relay gave no key",
    async (role) => {
      const sent: { type: string; channelId?: number; reason?: string }[] = [];
      const ws = { OPEN: 1, readyState: 1, send: (text: string) => sent.push(JSON.parse(text)) };
      const mux = new Mux(ws as unknown as WebSocket);
      const local = await socketPair();
      const data = await socketPair();
      plainToTlsRelay.add(data.ours);
      mux.splice(7, local.ours, data.ours, { token: "A".repeat(43), role });
      await new Promise((r) => setTimeout(r, 50));
      expect(sent).toEqual([
        {
          type: "close",
          channelId: 7,
          reason: "the relay sent no key for a channel on a plain data connection",
        },
      ]);
      expect(data.ours.destroyed).toBe(true);
      expect(data.received().length).toBe(0);
    },
  );
});
