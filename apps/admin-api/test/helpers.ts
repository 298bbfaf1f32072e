/**
 * Test harness: a fresh database with the demo, the app over it with a clock the test moves, and
 * small request helpers. Requests arrive as if through a trusted reverse proxy at 127.0.0.1 (the socket
 * peer node-server would report), and callers' addresses come from its X-Forwarded-For, so tests can
 * stand anywhere. Login limits are loose here; the tests of the limits build their own app.
 */

import { createTestDatabase, type TestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { createApp } from "../src/app.js";

export const NEW_ADMIN_PASSWORD = "a-new-admin-password-1";

/** The proxy every harness request comes through (see `call`). */
export const TEST_PROXY = "127.0.0.1";

/** Login limits no ordinary test reaches; the harness clock barely moves, so buckets never refill. */
export const looseConfig = {
  trustedProxies: [TEST_PROXY],
  loginRateLimitPerAddress: { burst: 100_000, perSecond: 1 },
  loginRateLimitPerName: { burst: 100_000, perSecond: 1 },
  maxQueuedHashes: 100_000,
};

/**
 * What @hono/node-server hands the app as its environment: the socket, whose peer address
 * `getConnInfo` reads. `app.request()` has no socket, so the harness names the peer here.
 */
export const fromPeer = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

export interface Harness {
  t: TestDatabase;
  app: ReturnType<typeof createApp>;
  clock: { now: Date; advance(seconds: number): void };
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const t = await createTestDatabase();
  await seedDemo(t.db);
  const clock = {
    now: new Date("2026-11-20T09:00:00Z"),
    advance(seconds: number) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
  };
  const app = createApp({ db: t.db, clock: () => clock.now, config: looseConfig });
  return { t, app, clock, close: () => t.close() };
}

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read replies loosely; the assertions check the shape
  json: any;
  text: string;
  headers: Headers;
  bytes: Uint8Array;
}

export async function call(
  app: Harness["app"],
  method: string,
  path: string,
  options: {
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
    raw?: string;
    from?: string;
    /** The socket peer; TEST_PROXY (trusted, so `from` counts) unless a test says otherwise. */
    peer?: string;
  } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {
    "x-forwarded-for": options.from ?? "192.0.2.10",
    ...options.headers,
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await app.request(path, { method, headers, body }, fromPeer(options.peer ?? TEST_PROXY));
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, json, text, headers: res.headers, bytes };
}

export async function login(
  app: Harness["app"],
  server: string,
  loginName: string,
  password: string,
  from?: string,
) {
  return call(app, "POST", "/sessions", { body: { server, login: loginName, password }, from });
}

/** Logs in with the demo's temporary password and changes it: a token that may use every route. */
export async function readyAdmin(
  app: Harness["app"],
  server: string = DEMO.serverHost,
  loginName: string = DEMO.adminLogin,
) {
  const first = await login(app, server, loginName, DEMO.adminTemporaryPassword);
  if (first.status !== 200) throw new Error(`login ${loginName}: ${first.status} ${first.text}`);
  const token = first.json.token as string;
  const changed = await call(app, "PUT", "/sessions/current/password", {
    token,
    body: { currentPassword: DEMO.adminTemporaryPassword, newPassword: NEW_ADMIN_PASSWORD },
  });
  if (changed.status !== 204) throw new Error(`change password: ${changed.status} ${changed.text}`);
  return token;
}
