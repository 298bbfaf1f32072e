/**
 * A relay written for the agents' tests, on 127.0.0.1:0: it answers each hello as the test says
 * (a result, an authentication failure, or "unavailable"), records the URLs agents dial and what they
 * send, and lets the test end a session with any close code (4010 for a drain, 4003, 1001). Its
 * messages are core's wire messages in form; it checks no password.
 */
import type { FromRelay, ToRelay } from "@tsunagi/core/wire";
import { type WebSocket as ServerSocket, WebSocketServer } from "ws";

export type Answer = "result" | "failure" | "unavailable";

export interface ScriptedSession {
  readonly id: string;
  readonly ws: ServerSocket;
  readonly hello: Extract<ToRelay, { type: "hello" }>;
  /** Control messages the agent sent after the result. */
  readonly messages: ToRelay[];
  /** Binary frames' payloads by channel id, concatenated. */
  readonly received: Map<number, Buffer>;
  /** Resolves with the next control message of `type` (one already received counts). */
  next<T extends ToRelay["type"]>(type: T): Promise<Extract<ToRelay, { type: T }>>;
}

export interface ScriptedRelay {
  readonly url: string;
  /** The request path and query of every upgrade, in order. */
  readonly urls: string[];
  /** How the next hellos are answered (a result by default). */
  answer: Answer;
  /** Every session opened, in order. */
  readonly sessions: ScriptedSession[];
  /** Resolves with the `n`th session (1-based) once it has been answered with a result. */
  session(n: number): Promise<ScriptedSession>;
  close(): Promise<void>;
}

const send = (ws: ServerSocket, message: FromRelay) => ws.send(JSON.stringify(message));

export async function scriptedRelay(): Promise<ScriptedRelay> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const urls: string[] = [];
  const sessions: ScriptedSession[] = [];
  const waiters = new Map<number, ((session: ScriptedSession) => void)[]>();
  const relay: ScriptedRelay = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    urls,
    answer: "result",
    sessions,
    session(n) {
      const ready = sessions[n - 1];
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => waiters.set(n, [...(waiters.get(n) ?? []), resolve]));
    },
    close: () =>
      new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on("connection", (ws, request) => {
    urls.push(request.url ?? "");
    ws.on("error", () => {});
    let session: ScriptedSession | undefined;
    const messages: ToRelay[] = [];
    const received = new Map<number, Buffer>();
    const wanted: { type: string; resolve: (m: ToRelay) => void }[] = [];
    ws.on("message", (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) {
        const id = buf.readUInt32BE(0);
        received.set(id, Buffer.concat([received.get(id) ?? Buffer.alloc(0), buf.subarray(4)]));
        return;
      }
      const message = JSON.parse(buf.toString()) as ToRelay;
      if (message.type === "hello") {
        if (relay.answer === "failure") {
          send(ws, {
            type: "failure",
            referenceCode: 291,
            message: "Authentication error (reference code 291)",
          });
          ws.close(4000);
          return;
        }
        if (relay.answer === "unavailable") {
          send(ws, { type: "error", code: "unavailable", message: "the database is away" });
          ws.close(1013);
          return;
        }
        const id = `scripted-${sessions.length + 1}`;
        send(ws, {
          type: "result",
          ok: true,
          sessionId: id,
          policy: { mayStoreLoginPassword: false, mayStoreOsLogonPassword: false },
          ...(message.role === "viewer" ? { reachableClients: [message.target ?? message.user] } : {}),
        });
        session = {
          id,
          ws,
          hello: message,
          messages,
          received,
          next(type) {
            const seen = messages.find((m) => m.type === type);
            if (seen) return Promise.resolve(seen as never);
            return new Promise((resolve) => wanted.push({ type, resolve: resolve as (m: ToRelay) => void }));
          },
        };
        sessions.push(session);
        const n = sessions.length;
        for (const resolve of waiters.get(n) ?? []) resolve(session);
        waiters.delete(n);
        return;
      }
      if (message.type === "ping") return send(ws, { type: "pong" });
      messages.push(message);
      for (const w of wanted.filter((w) => w.type === message.type)) {
        wanted.splice(wanted.indexOf(w), 1);
        w.resolve(message);
      }
    });
  });
  return relay;
}
