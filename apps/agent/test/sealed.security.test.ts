/**
 * An agent whose data connections are plain TCP to a TLS relay (a sealing one, docs/protocol.md
 * "Sealed channels") carries only sealed channels on them: an `open` with a token and no key (a relay
 * that would have the channel's bytes cross the network in clear) is refused with a `close`, and the
 * data connection never carries a byte. Its pool dials plain TCP to the TLS port, and TLS where only
 * TLS gets through.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { DATA_UPGRADE } from "@tsunagi/core/wire";
import { afterEach, describe, expect, it } from "vitest";
import type { WebSocket } from "ws";
import { DataPool, plainToTlsRelay } from "../src/tunnel/data.js";
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

/**
 * A sealing relay's port as the pool sees it: TLS (first byte 22) answered with the data upgrade;
 * plain answered too, or reset when `tlsOnly` (a TLS-only proxy in between). Counts plain attempts.
 */
async function sealingPort(tlsOnly: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "tsunagi-agent-"));
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-days", "1", "-subj", "/CN=relay", "-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem")],
    ],
    { stdio: "ignore" },
  );
  const cert = readFileSync(join(dir, "c.pem"));
  const upgrade = (socket: Socket) =>
    socket.once("data", () =>
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${DATA_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`,
      ),
    );
  const tls = createTlsServer({ cert, key: readFileSync(join(dir, "k.pem")) }, upgrade);
  let plainAttempts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === 0x16) return tls.emit("connection", socket);
      plainAttempts += 1;
      if (tlsOnly) return socket.resetAndDestroy();
      upgrade(socket);
      socket.resume();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    url: new URL(`wss://127.0.0.1:${(server.address() as { port: number }).port}/v1/data`),
    ca: cert,
    plainAttempts: () => plainAttempts,
  };
}

async function parkedFrom(pool: DataPool): Promise<Socket> {
  pool.start();
  for (let i = 0; i < 200 && pool.available === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const socket = pool.take();
  if (!socket) throw new Error("nothing parked");
  cleanups.push(() => {
    socket.destroy();
    pool.close();
  });
  return socket;
}

describe("the pool of a sealing relay's data connections", () => {
  const options = (url: URL, ca: Buffer, notices: string[]) => ({
    url,
    ca,
    sessionId: "s",
    pool: "A".repeat(43),
    mode: "auto" as const,
    sealed: true,
    onNotice: (text: string) => notices.push(text),
  });

  it("dials plain TCP to the TLS port, and marks those connections as sealed-only", async () => {
    const port = await sealingPort(false);
    const notices: string[] = [];
    const socket = await parkedFrom(new DataPool(options(port.url, port.ca, notices)));
    expect(plainToTlsRelay.has(socket)).toBe(true);
    expect((socket as { encrypted?: boolean }).encrypted).toBeUndefined();
    expect(port.plainAttempts()).toBeGreaterThanOrEqual(1);
    expect(notices).toEqual([]);
  });

  it("where plain is reset, parks TLS ones (not marked), says so once, and the next session dials TLS at once", async () => {
    const port = await sealingPort(true);
    const notices: string[] = [];
    const socket = await parkedFrom(new DataPool(options(port.url, port.ca, notices)));
    expect((socket as { encrypted?: boolean }).encrypted).toBe(true);
    expect(plainToTlsRelay.has(socket)).toBe(false);
    expect(notices.filter((n) => /data connections use TLS/.test(n))).toHaveLength(1);
    const tried = port.plainAttempts();
    const next = await parkedFrom(new DataPool(options(port.url, port.ca, notices)));
    expect((next as { encrypted?: boolean }).encrypted).toBe(true);
    expect(port.plainAttempts()).toBe(tried);
  });
});
