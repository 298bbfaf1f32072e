/**
 * Test harness: a fresh database with the demo, the app over it with a clock the test moves, and
 * small request helpers. Callers' addresses come from X-Forwarded-For (trustProxy), so tests can
 * stand anywhere.
 */

import { createTestDatabase, type TestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { createApp } from "../src/app.js";

export const NEW_ADMIN_PASSWORD = "a-new-admin-password-1";

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
  const app = createApp({ db: t.db, clock: () => clock.now, config: { trustProxy: true } });
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
  const res = await app.request(path, { method, headers, body });
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
