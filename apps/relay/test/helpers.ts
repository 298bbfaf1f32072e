/**
 * Test harness: a real relay on 127.0.0.1:0 over a fresh, seeded database, hand-written control
 * connections typed by core's wire messages, echo servers and history reads.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { connect as connectTcp, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuthenticationError, type CommonOptions, startClient, startViewer } from "@tsunagi/agent";
import type { Product } from "@tsunagi/core/domain";
import { beforeAndAfterAll } from "@tsunagi/core/testing";
import type { FromRelay, Hello, ToRelay } from "@tsunagi/core/wire";
import { schema } from "@tsunagi/db";
import { createTestDatabase, type TestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { and, asc, eq } from "drizzle-orm";
import { afterAll, expect } from "vitest";
import WebSocket, { type ClientOptions } from "ws";
import type { RelayConfig } from "../src/config.js";
import { silentLog } from "../src/log.js";
import { createRelay, type Relay } from "../src/server.js";

/** Short windows and loose limits, so tests needn't wait a minute nor trip the rate limits by accident. */
export const testConfig: Partial<RelayConfig> = {
  staleAfterSeconds: 2,
  heartbeatIntervalMs: 300,
  rateLimitPerAddress: { burst: 10_000, perSecond: 1_000 },
  rateLimitPerUser: { burst: 10_000, perSecond: 1_000 },
};

export interface Stack {
  t: TestDatabase;
  relay: Relay;
  url: string;
  close(): Promise<void>;
}

export async function startRelay(
  t: TestDatabase,
  config: Partial<RelayConfig> = {},
): Promise<{ relay: Relay; url: string; internalUrl: string }> {
  const relay = createRelay({ db: t.db, config: { ...testConfig, ...config }, log: silentLog });
  const { url, internalUrl } = await relay.listen(0, "127.0.0.1");
  return { relay, url, internalUrl };
}

export async function startStack(config: Partial<RelayConfig> = {}): Promise<Stack> {
  const t = await createTestDatabase();
  await seedDemo(t.db);
  const { relay, url } = await startRelay(t, config);
  return {
    t,
    relay,
    url,
    async close() {
      await relay.close();
      await t.close();
    },
  };
}

/** The test file's stack, started before its tests and closed after them. Read it inside a test or a hook. */
export function useStack(config: Partial<RelayConfig> = {}): Stack {
  return beforeAndAfterAll(
    () => startStack(config),
    (stack) => stack.close(),
  );
}

/** Options every agent in the tests shares: the relay's URL, the demo server and password. */
export const agentBase = (url: string, user: string, password: string = DEMO.userPassword) => ({
  server: url,
  serverHost: DEMO.serverHost,
  user,
  password,
});

/**
 * The directories tempDir() made for this test file, removed after it (vitest imports this module
 * afresh for each file, so the hook is each file's; its workers end without an 'exit' event).
 */
const tempDirs: string[] = [];
afterAll(() => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tsunagi-relay-test-"));
  tempDirs.push(dir);
  return dir;
}

/** A self-signed certificate for 127.0.0.1, made with openssl for this run. */
export async function selfSigned(name: string): Promise<{ cert: Buffer; key: Buffer }> {
  const dir = await tempDir();
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      key,
      "-out",
      cert,
    ],
    { stdio: "ignore" },
  );
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

export async function identityPath(): Promise<string> {
  return join(await tempDir(), "device-identity.json");
}

/** An echo server for the test file, listening before its tests and closed after them. */
export const useEchoServer = () => beforeAndAfterAll(echoServer, (echo) => echo.close());

/** An echo server on loopback: every byte comes back; a half-close is answered by a half-close. */
export async function echoServer(): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { port, server, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Writes `payload` to 127.0.0.1:`port` (a viewer's local port), half-closes, and returns everything echoed back. */
export function echoThrough(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.end(payload);
  });
}

/** A payload's SHA-256, hex: compared instead of megabytes in a failure message. */
export const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The user's history rows, oldest first. */
export function historyOf(t: TestDatabase, userName: string, role?: "viewer" | "client") {
  const h = schema.accessHistory;
  return t.db
    .select()
    .from(h)
    .where(role ? and(eq(h.userName, userName), eq(h.role, role)) : eq(h.userName, userName))
    .orderBy(asc(h.id));
}

export async function userId(
  t: TestDatabase,
  userName: string,
  serverHost: string = DEMO.serverHost,
): Promise<string> {
  const [row] = await t.db
    .select({ id: schema.users.id })
    .from(schema.users)
    .where(and(eq(schema.users.userName, userName), eq(schema.users.serverHost, serverHost)));
  if (!row) throw new Error(`no user ${userName}`);
  return row.id;
}

export function openSessions(t: TestDatabase) {
  return t.db.select().from(schema.activeSessions);
}

/** The login `promise` fails as an agent reports a refusal: an AuthenticationError, returned. */
export async function failureOf(promise: Promise<unknown>): Promise<AuthenticationError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

/** Polls `check` until it returns true (or throws after `ms`): for what settles asynchronously. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("condition not met in time");
}

/** A control connection written by hand: what the relay sends, typed as core's wire messages. */
export interface RawConnection {
  readonly ws: WebSocket;
  /** The relay's control messages in order (binary frames left out). */
  readonly messages: FromRelay[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(message: ToRelay): void;
}

/** Opens `/v1/connect` on the relay at `url` without an agent; resolves once the socket is open. */
export async function rawConnection(url: string, options: ClientOptions = {}): Promise<RawConnection> {
  const ws = new WebSocket(`${url}/v1/connect`, { perMessageDeflate: false, ...options });
  const messages: FromRelay[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on("error", () => {});
  ws.on("message", (data, isBinary) => {
    if (!isBinary) messages.push(JSON.parse(data.toString()) as FromRelay);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, messages, closed, send: (message) => ws.send(JSON.stringify(message)) };
}

/**
 * Sends `hello` on a raw connection and resolves with the relay's first answer, closing the
 * connection after it: one login attempt written by hand.
 */
export async function firstAnswer(raw: RawConnection, hello: Hello): Promise<FromRelay> {
  raw.send(hello);
  try {
    await eventually(() => raw.messages.length > 0, 20_000);
    return raw.messages[0] as FromRelay;
  } finally {
    raw.ws.close();
    await raw.closed;
  }
}

/** The hello of a demo client, with the demo password. */
export const clientHello = (user: string): Hello => ({
  type: "hello",
  role: "client",
  server: DEMO.serverHost,
  user,
  password: DEMO.userPassword,
  version: "test-0",
});

/** The hello of a demo USB viewer (no device identity), with the demo password. */
export const usbViewerHello = (user: string, product: Product, usbKeySerial: string): Hello => ({
  type: "hello",
  role: "viewer",
  server: DEMO.serverHost,
  user,
  password: DEMO.userPassword,
  version: "hostile-0",
  product,
  usbKeySerial,
});

/**
 * usb.ndl's client forwarding to `forwardPort` and its USB viewer on a free local port, both with
 * `options` (the relay's URL and user from agentBase, a CA, a data path, a notice sink).
 */
export async function usbNdlAgents(
  options: CommonOptions & { readonly onNotice?: (text: string) => void },
  forwardPort: number,
) {
  const client = startClient({ ...options, forward: { host: "127.0.0.1", port: forwardPort } });
  await client.ready;
  const viewer = await startViewer({
    ...options,
    product: "usb-ndl",
    usbKeySerial: "NDL-0001-0001",
    listen: { host: "127.0.0.1", port: 0 },
  });
  return { client, viewer };
}
