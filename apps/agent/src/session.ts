/**
 * An authenticated connection at work: relay messages dispatched to the channel multiplexer, a
 * keep-alive that notices a relay gone silent, and one promise for the end with the relay's close code
 * (core's `CloseCode`, the relay's own table).
 */
import { FromRelay } from "@tsunagi/core/wire";
import type WebSocket from "ws";
import type { Connected } from "./connection.js";
import { DataPool, type DataPoolOptions } from "./tunnel/data.js";
import { Mux, type MuxEvents, type MuxLimits } from "./tunnel/mux.js";

/** How a session dials its data connections: everything but what the relay's result gives. */
export type SessionDataOptions = Omit<DataPoolOptions, "sessionId" | "pool" | "sealed" | "onNotice">;

export interface SessionEnd {
  readonly code: number;
  readonly reason: string;
}

export interface Session {
  readonly mux: Mux;
  readonly ws: WebSocket;
  /** The session's data connections, when the relay offers them and the mode allows (tunnel/data.ts). */
  readonly pool: DataPool | undefined;
  readonly closed: Promise<SessionEnd>;
  close(): void;
}

export function runSession(
  connected: Connected,
  events: MuxEvents & { onNotice?: (text: string) => void },
  limits: MuxLimits = {},
  keepAliveMs = 15_000,
  data?: SessionDataOptions,
): Session {
  const { ws } = connected;
  const mux = new Mux(
    ws,
    {
      ...events,
      onViolation: (message) => events.onNotice?.(`closing the connection to the relay: ${message}`),
    },
    limits,
  );
  const offered = connected.result.data;
  const pool =
    data && offered && data.mode !== "mux"
      ? new DataPool({
          ...data,
          sessionId: connected.result.sessionId,
          pool: offered.pool,
          sealed: offered.sealed === true,
          onNotice: events.onNotice,
        })
      : undefined;
  pool?.start();
  let heard = true;
  const keepAlive = setInterval(() => {
    if (!heard) {
      events.onNotice?.("the relay stopped answering; closing the connection");
      ws.terminate();
      return;
    }
    heard = false;
    mux.sendControl({ type: "ping" });
  }, keepAliveMs);
  keepAlive.unref();
  const alive = () => {
    heard = true;
  };
  ws.on("ping", alive);
  ws.on("pong", alive);
  connected.attach((data, isBinary) => {
    heard = true;
    if (isBinary) return mux.onBinary(data as Buffer);
    const parsed = FromRelay.safeParse(JSON.parse(data.toString()));
    if (!parsed.success) return;
    const message = parsed.data;
    switch (message.type) {
      case "open":
      case "close":
        return mux.onControl(message);
      case "ping":
        return mux.sendControl({ type: "pong" });
      case "error":
        return events.onNotice?.(`relay: ${message.message}`);
      default:
        return;
    }
  });
  const closed = new Promise<SessionEnd>((resolve) => {
    ws.on("error", () => {});
    ws.on("close", (code, reason) => {
      clearInterval(keepAlive);
      pool?.close();
      mux.closeAll();
      resolve({ code, reason: reason.toString() });
    });
  });
  return { mux, ws, pool, closed, close: () => ws.close(1000, "closed by the agent") };
}
