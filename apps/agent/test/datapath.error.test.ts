/**
 * The agent's data connections against what may answer them (apps/agent/src/tunnel/data.ts): a relay
 * that upgrades, and the refusals a proxy gives — a 403, a reset, a close before any answer, a 101 to
 * another protocol. A refusal is a `DataRefusedError`; in `auto` mode the pool then gives up on the
 * session (one notice, no more dials) and channels are multiplexed; `spliced` keeps trying.
 */
import { createServer, type Socket } from "node:net";
import { DATA_POOL_HEADER, DATA_SESSION_HEADER, DATA_UPGRADE } from "@tsunagi/core/wire";
import { afterEach, describe, expect, it } from "vitest";
import { DataPool, DataRefusedError, dataUrl, dialData } from "../src/tunnel/data.js";

type Behaviour = "upgrade" | "403" | "reset" | "close" | "other-upgrade";

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server on loopback that answers every request head as `behaviour` says, recording the heads. */
async function answering(behaviour: Behaviour) {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    let text = "";
    socket.on("data", (d: Buffer) => {
      text += d.toString("latin1");
      if (!text.includes("\r\n\r\n")) return;
      heads.push(text);
      text = "";
      if (behaviour === "403") socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      else if (behaviour === "reset") socket.resetAndDestroy();
      else if (behaviour === "close") socket.end();
      else if (behaviour === "other-upgrade")
        socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
      else
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: ${DATA_UPGRADE}\r\nConnection: Upgrade\r\n\r\n`,
        );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const handle = {
    url: dataUrl(`ws://127.0.0.1:${(server.address() as { port: number }).port}/v1/connect?route=abc`),
    heads,
    /** Ends every connection, as a relay letting parked connections go. */
    endAll() {
      for (const s of sockets) s.end();
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
  servers.push(handle);
  return handle;
}

const POOL = "A".repeat(43);

describe("dialling a data connection", () => {
  it("sends the upgrade with the session, the pool secret and the control URL's route, and resolves on 101", async () => {
    const server = await answering("upgrade");
    const socket = await dialData({ url: server.url, sessionId: "s-1", pool: POOL });
    const head = server.heads[0] ?? "";
    expect(head.startsWith("GET /v1/data?route=abc HTTP/1.1\r\n")).toBe(true);
    expect(head).toContain(`Upgrade: ${DATA_UPGRADE}\r\n`);
    expect(head).toContain(`${DATA_SESSION_HEADER}: s-1\r\n`);
    expect(head).toContain(`${DATA_POOL_HEADER}: ${POOL}\r\n`);
    socket.destroy();
  });

  for (const refusal of ["403", "reset", "close", "other-upgrade"] as const) {
    it(`is refused (DataRefusedError) on a ${refusal}`, async () => {
      const server = await answering(refusal);
      const error = await dialData({ url: server.url, sessionId: "s-1", pool: POOL }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DataRefusedError);
    });
  }
});

describe("the pool", () => {
  it("in auto mode gives up on a refused session: one notice, unusable, no further dials", async () => {
    const server = await answering("403");
    const notices: string[] = [];
    const pool = new DataPool({
      url: server.url,
      sessionId: "s-1",
      pool: POOL,
      mode: "auto",
      onNotice: (t) => notices.push(t),
    });
    pool.start();
    await new Promise<void>((resolve) => {
      const check = () => (!pool.usable ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/403 Forbidden.*multiplexed path/);
    expect(pool.take()).toBeUndefined();
    const dialled = server.heads.length;
    expect(dialled).toBeLessThanOrEqual(2);
    pool.close();
  });

  it("keeps two connections parked and refills behind each one taken", async () => {
    const server = await answering("upgrade");
    const pool = new DataPool({ url: server.url, sessionId: "s-1", pool: POOL, mode: "auto" });
    pool.start();
    const until = async (check: () => boolean) => {
      while (!check()) await new Promise((r) => setTimeout(r, 20));
    };
    await until(() => pool.available === 2);
    const taken = pool.take();
    expect(taken).toBeDefined();
    await until(() => pool.available === 2);
    expect(server.heads).toHaveLength(3);
    // The relay (or a balancer's idle timeout) lets the parked connections go: others take their place.
    server.endAll();
    await until(() => server.heads.length === 5 && pool.available === 2);
    taken?.destroy();
    pool.close();
  });

  it("in mux mode is never usable; in spliced mode a refusal does not make it give up", async () => {
    const server = await answering("403");
    const mux = new DataPool({ url: server.url, sessionId: "s-1", pool: POOL, mode: "mux" });
    mux.start();
    expect(mux.usable).toBe(false);
    const spliced = new DataPool({ url: server.url, sessionId: "s-1", pool: POOL, mode: "spliced" });
    await expect(spliced.acquire()).rejects.toBeInstanceOf(DataRefusedError);
    expect(spliced.usable).toBe(true);
    expect(server.heads.length).toBeGreaterThanOrEqual(1);
    spliced.close();
  });
});
