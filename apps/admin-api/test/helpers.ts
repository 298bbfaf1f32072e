/**
 * Test harness: a fresh database with the demo, the app over it with a clock the test moves, and
 * small request helpers. Requests arrive as if through a trusted reverse proxy at 127.0.0.1 (the socket
 * peer node-server would report), and callers' addresses come from its X-Forwarded-For, so tests can
 * stand anywhere. Login limits are loose here; the tests of the limits build their own app.
 * Answers are typed by the route table (`AdminApi`); only deliberately malformed requests go untyped.
 */

import { ErrorBody } from "@tsunagi/api-contract/errors";
import { beforeAndAfterAll } from "@tsunagi/core/testing";
import type { Database } from "@tsunagi/db";
import { createTestDatabase, type TestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import type { Hono } from "hono";
import { expect } from "vitest";
import { type AdminApi, createApp } from "../src/app.js";
import type { AdminApiConfig } from "../src/context.js";

export const NEW_ADMIN_PASSWORD = "a-new-admin-password-1";

/** The proxy every harness request comes through (see `call`). */
export const TEST_PROXY = "127.0.0.1";

/** Login limits no ordinary test reaches; the harness clock barely moves, so buckets never refill. */
export const looseConfig: AdminApiConfig = {
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

export interface HarnessOptions {
  /** The app's limits; the loose ones unless a test of the limits says otherwise. */
  config?: AdminApiConfig;
  /** The app's own connection to the test database (one that counts statements), closed with it. */
  connect?: (t: TestDatabase) => { db: Database; close(): Promise<unknown> };
}

export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const t = await createTestDatabase();
  await seedDemo(t.db);
  const own = options.connect?.(t);
  const clock = {
    now: new Date("2026-11-20T09:00:00Z"),
    advance(seconds: number) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
  };
  const app = createApp({
    db: own?.db ?? t.db,
    clock: () => clock.now,
    config: options.config ?? looseConfig,
  });
  return {
    t,
    app,
    clock,
    async close() {
      await own?.close();
      await t.close();
    },
  };
}

/** The route table `AdminApi` carries: path (`/users/:userName`) → `$get` … → each answer's status and body. */
type Routes = AdminApi extends Hono<infer _Env, infer Schema, infer _Base> ? Schema : never;
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A request path as written in a test, without its query string, split at each `/`. */
type PathOf<P extends string> = P extends `${infer Path}?${string}` ? Path : P;
type Segments<P extends string> = P extends `${infer Head}/${infer Rest}` ? [Head, ...Segments<Rest>] : [P];
/** Whether a concrete path's segments fill a route's: `:param` takes any non-empty segment. */
type Fills<Route extends string[], Path extends string[]> = Route extends [
  infer R extends string,
  ...infer RouteRest extends string[],
]
  ? Path extends [infer S extends string, ...infer PathRest extends string[]]
    ? R extends `:${string}`
      ? S extends ""
        ? false
        : Fills<RouteRest, PathRest>
      : [R, S] extends [S, R]
        ? Fills<RouteRest, PathRest>
        : false
    : false
  : Path extends []
    ? true
    : false;
type RouteOf<P extends string> = {
  [K in keyof Routes & string]: Fills<Segments<K>, Segments<PathOf<P>>> extends true ? K : never;
}[keyof Routes & string];
type Endpoint<M extends Method, P extends string> =
  RouteOf<P> extends infer K extends keyof Routes
    ? `$${Lowercase<M>}` extends infer V extends keyof Routes[K]
      ? Routes[K][V]
      : never
    : never;

/** The JSON body `method path` takes; anything, for a path outside the route table. */
type BodyOf<M extends Method, P extends string> = [Endpoint<M, P>] extends [never]
  ? unknown
  : Endpoint<M, P> extends { input: { json: infer J } }
    ? J
    : never;

interface ReplyBase {
  text: string;
  headers: Headers;
  bytes: Uint8Array;
}
/** An answer whose body the test does not know: a malformed request, or a route outside `AdminApi`. */
export type UntypedReply = ReplyBase & { status: number; json: unknown };
/** One of a route's documented answers: its status, and its JSON body as the route declares it. */
type Answer<E> = E extends { status: infer S; output: infer O; outputFormat: infer F }
  ? ReplyBase & { status: S; json: F extends "json" ? ([O] extends [Response] ? unknown : O) : unknown }
  : never;
/** The statuses the app's middleware may answer any route with, in the one error shape. */
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 428 | 429 | 500 | 503;
type Declared<E> = E extends { status: infer S } ? S : never;
/** One answer a status at a time, so that `Extract<…, { status: 401 }>` finds it. */
type ErrorAnswer<S> = S extends number ? ReplyBase & { status: S; json: ErrorBody } : never;
/**
 * The answers `method path` may give, discriminated by status (narrow with `expectStatus`): the route's
 * declared ones, and the middleware's errors it does not declare.
 */
export type Reply<M extends Method, P extends string> = [Endpoint<M, P>] extends [never]
  ? UntypedReply
  : Answer<Endpoint<M, P>> | ErrorAnswer<Exclude<ErrorStatus, Declared<Endpoint<M, P>>>>;

interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
  from?: string;
  /** The socket peer; TEST_PROXY (trusted, so `from` counts) unless a test says otherwise. */
  peer?: string;
}

/** Sends a request as the harness's proxy would pass it on, and reads the whole answer. */
async function send(
  app: Harness["app"],
  method: string,
  path: string,
  options: RequestOptions & { body?: string | Uint8Array; json?: boolean },
): Promise<UntypedReply> {
  const headers: Record<string, string> = {
    "x-forwarded-for": options.from ?? "192.0.2.10",
    ...options.headers,
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json) headers["content-type"] ??= "application/json";
  const res = await app.request(
    path,
    { method, headers, body: options.body },
    fromPeer(options.peer ?? TEST_PROXY),
  );
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

/**
 * A request to a route of `AdminApi`, its answer typed by the route's declared responses. `body` is sent
 * as JSON, typed by the route's request body; `raw` exactly as given (a CSV file).
 */
export async function call<const M extends Method, const P extends string>(
  app: Harness["app"],
  method: M,
  path: P,
  options: RequestOptions & { body?: BodyOf<M, P>; raw?: string } = {},
): Promise<Reply<M, P>> {
  const json = options.raw === undefined && options.body !== undefined;
  const body = json ? JSON.stringify(options.body) : options.raw;
  // The route table types the answer; the bytes are whatever the app sent, checked by the assertions.
  return (await send(app, method, path, { ...options, body, json })) as Reply<M, P>;
}

/**
 * A request built at run time by a fuzzer (any method, any path), or bytes that are not text at all:
 * its answer is untyped, to be read with `errorOf` or checked byte by byte.
 */
export function callRaw(
  app: Harness["app"],
  method: string,
  path: string,
  options: RequestOptions & { body?: unknown; raw?: string | Uint8Array } = {},
): Promise<UntypedReply> {
  const json = options.raw === undefined && options.body !== undefined;
  return send(app, method, path, {
    ...options,
    body: json ? JSON.stringify(options.body) : options.raw,
    json,
  });
}

/** Asserts the answer's status (showing its body if not) and narrows the answer to it. */
export function expectStatus<R extends { status: number; text: string }, const S extends number>(
  res: R,
  status: S,
  what?: string,
): asserts res is StatusReply<R, S> {
  expect(res.status, what ?? res.text).toBe(status);
}
/** A reply narrowed to one status: a declared answer's body, or (for an untyped reply) the status alone. */
type StatusReply<R, S extends number> = [Extract<R, { status: S }>] extends [never]
  ? R & { status: S }
  : Extract<R, { status: S }>;

/** The `error` of an answer in the one error shape; fails the test if the body is not that shape. */
export function errorOf(res: { json: unknown; text: string }): ErrorBody["error"] {
  const parsed = ErrorBody.safeParse(res.json);
  if (!parsed.success) expect.fail(`not the one error shape: ${res.text}`);
  return parsed.data.error;
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

/** Logs in and answers the session token; the test fails unless the login succeeds. */
export async function loginToken(
  app: Harness["app"],
  server: string,
  loginName: string,
  password: string,
  from?: string,
): Promise<string> {
  const res = await login(app, server, loginName, password, from);
  expectStatus(res, 200);
  return res.json.token;
}

/** Logs in with the demo's temporary password and changes it: a token that may use every route. */
export async function readyAdmin(
  app: Harness["app"],
  server: string = DEMO.serverHost,
  loginName: string = DEMO.adminLogin,
) {
  const first = await login(app, server, loginName, DEMO.adminTemporaryPassword);
  if (first.status !== 200) throw new Error(`login ${loginName}: ${first.status} ${first.text}`);
  const token = first.json.token;
  const changed = await call(app, "PUT", "/sessions/current/password", {
    token,
    body: { currentPassword: DEMO.adminTemporaryPassword, newPassword: NEW_ADMIN_PASSWORD },
  });
  if (changed.status !== 204) throw new Error(`change password: ${changed.status} ${changed.text}`);
  return token;
}

/**
 * A harness for the whole test file: built before its first test (then `prepare` adds what the file
 * shares: tokens, rows), its database dropped after the last.
 */
export function useHarness<Extra extends object = object>(
  prepare?: (h: Harness) => Promise<Extra>,
  options?: HarnessOptions,
): Harness & Extra {
  return beforeAndAfterAll(
    async () => {
      const h = await harness(options);
      return { ...h, ...((await prepare?.(h)) as Extra) };
    },
    (h) => h.close(),
  );
}

/** `useHarness`, with the demo admin logged in and past the temporary password: `token` may use every route. */
export function useReadyAdmin(): Harness & { token: string } {
  return useHarness(async (h) => ({ token: await readyAdmin(h.app) }));
}
