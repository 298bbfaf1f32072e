/**
 * The admin API's `GET /metrics` as an operator reads it, while account managers log in (and fail to,
 * by name) and use the API: requests by route template, method and status class, their time, logins
 * by outcome class, the hash queue, the database timed by operation; and no login name, user name,
 * address or reason in any label. Not in the OpenAPI document: it is the operators' endpoint.
 */
import { DEMO } from "@tsunagi/fixtures";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import {
  call,
  callRaw,
  expectStatus,
  login,
  looseConfig,
  NEW_ADMIN_PASSWORD,
  useHarness,
} from "./helpers.js";

const h = useHarness();

/** The value of the sample `name` whose labels are exactly `labels`; fails when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .sort()
    .join(",");
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    if ((match[2] ?? "").split(",").filter(Boolean).sort().join(",") === wanted) return Number(match[3]);
  }
  return expect.fail(`no sample ${name}{${wanted}} in:\n${text}`);
}

/** The app's metrics, asked for from this host (the harness's proxy forwards for 127.0.0.1). */
async function metricsOf(app: ReturnType<typeof createApp> = h.app) {
  const res = await callRaw(app, "GET", "/metrics", { from: "127.0.0.1" });
  expectStatus(res, 200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return {
    text: res.text,
    value: (name: string, labels: Record<string, string> = {}) => sample(res.text, name, labels),
  };
}

const logins = (outcome: string) => ["tsunagi_admin_logins_total", { outcome }] as const;
const requests = (route: string, method: string, status_class: string) =>
  ["tsunagi_admin_requests_total", { route, method, status_class }] as const;

describe("GET /metrics on the admin API's port", () => {
  it("starts with every login class at zero and an idle hash queue", async () => {
    const m = await metricsOf();
    for (const outcome of ["success", "failure", "rate_limited", "busy", "malformed", "error"]) {
      expect(m.value(...logins(outcome)), outcome).toBe(0);
    }
    expect(m.value("tsunagi_admin_hash_queue_depth")).toBe(0);
    expect(m.value("tsunagi_admin_hash_active")).toBe(0);
    expect(m.value("tsunagi_admin_database_seconds_count", { operation: "login" })).toBe(0);
    expect(m.text).toContain("# TYPE tsunagi_admin_request_duration_seconds histogram");
  });

  it("counts logins by outcome class: a success, named and unknown admins failing, a malformed body", async () => {
    const first = await login(h.app, DEMO.serverHost, DEMO.adminLogin, DEMO.adminTemporaryPassword);
    expectStatus(first, 200);
    expectStatus(await login(h.app, DEMO.serverHost, DEMO.adminLogin, "not-the-password"), 401);
    expectStatus(await login(h.app, DEMO.serverHost, "nobody.admin", "not-the-password"), 401);
    expectStatus(
      await callRaw(h.app, "POST", "/sessions", {
        raw: "{",
        headers: { "content-type": "application/json" },
      }),
      400,
    );
    const m = await metricsOf();
    expect(m.value(...logins("success"))).toBe(1);
    expect(m.value(...logins("failure"))).toBe(2);
    expect(m.value(...logins("malformed"))).toBe(1);
    expect(m.value(...logins("rate_limited"))).toBe(0);
    expect(m.value(...requests("/sessions", "POST", "2xx"))).toBe(1);
    expect(m.value(...requests("/sessions", "POST", "4xx"))).toBe(3);
    // Three logins reached the database: two statements each, and a success opens its session.
    expect(m.value("tsunagi_admin_database_seconds_count", { operation: "login" })).toBe(7);
    expect(m.value("tsunagi_admin_database_seconds_sum", { operation: "login" })).toBeGreaterThan(0);
  });

  it("counts rate-limited and busy logins on the app that refused them, and only there", async () => {
    const limited = createApp({
      db: h.t.db,
      config: { ...looseConfig, loginRateLimitPerAddress: { burst: 1, perSecond: 0.001 } },
    });
    const busy = createApp({
      db: h.t.db,
      config: { ...looseConfig, maxConcurrentHashes: 0, maxQueuedHashes: 0 },
    });
    expectStatus(await login(limited, DEMO.serverHost, "nobody.admin", "x"), 401);
    expectStatus(await login(limited, DEMO.serverHost, "nobody.admin", "x"), 429);
    expectStatus(await login(busy, DEMO.serverHost, "nobody.admin", "x"), 503);
    expect((await metricsOf(limited)).value(...logins("rate_limited"))).toBe(1);
    expect((await metricsOf(limited)).value(...logins("failure"))).toBe(1);
    expect((await metricsOf(busy)).value(...logins("busy"))).toBe(1);
    const own = await metricsOf();
    expect(own.value(...logins("rate_limited"))).toBe(0);
    expect(own.value(...logins("busy"))).toBe(0);
  });

  it("counts requests by route template, never by path, with their time and the session's database work", async () => {
    const first = await login(h.app, DEMO.serverHost, DEMO.adminLogin, DEMO.adminTemporaryPassword);
    expectStatus(first, 200);
    const token = first.json.token;
    const changed = await call(h.app, "PUT", "/sessions/current/password", {
      token,
      body: { currentPassword: DEMO.adminTemporaryPassword, newPassword: NEW_ADMIN_PASSWORD },
    });
    expectStatus(changed, 204);
    const before = await metricsOf();
    const sessionStatements = before.value("tsunagi_admin_database_seconds_count", { operation: "session" });
    expect(sessionStatements).toBeGreaterThan(0);

    expectStatus(await call(h.app, "GET", "/users/user1", { token }), 200);
    expectStatus(await call(h.app, "GET", "/users/usb.ex", { token }), 200);
    expectStatus(await call(h.app, "GET", "/users/nobody.at.all", { token }), 404);
    expectStatus(await callRaw(h.app, "GET", "/no/such/route/for/user1", { token }), 404);
    expectStatus(await call(h.app, "GET", "/ready"), 200);

    const m = await metricsOf();
    expect(m.value(...requests("/users/:userName", "GET", "2xx"))).toBe(2);
    expect(m.value(...requests("/users/:userName", "GET", "4xx"))).toBe(1);
    expect(m.value(...requests("unmatched", "GET", "4xx"))).toBe(1);
    expect(
      m.value("tsunagi_admin_request_duration_seconds_count", { route: "/users/:userName", method: "GET" }),
    ).toBe(3);
    expect(m.value("tsunagi_admin_database_seconds_count", { operation: "ready" })).toBe(1);
    // Each of the four authenticated requests read its session and touched it.
    expect(m.value("tsunagi_admin_database_seconds_count", { operation: "session" })).toBe(
      sessionStatements + 8,
    );
    // The scrapes themselves are requests too, under their own route.
    expect(m.value(...requests("/metrics", "GET", "2xx"))).toBeGreaterThan(0);
  });

  it("names no login, user, address or reason: labels are route, method, status class, outcome and operation", async () => {
    // Of its own: a named admin failing, and a path naming a user (refused without a session).
    expectStatus(await login(h.app, DEMO.serverHost, DEMO.adminLogin, "not-the-password"), 401);
    expectStatus(await callRaw(h.app, "GET", "/users/user1"), 401);
    const { text } = await metricsOf();
    for (const name of [
      DEMO.adminLogin,
      "nobody.admin",
      "user1",
      "usb.ex",
      "nobody.at.all",
      "127.0.0.1",
      "192.0.2.10",
      "wrong-password",
      "unknown-admin",
      "invalid-credentials",
    ]) {
      expect(text, name).not.toContain(name);
    }
    const names = new Set([...text.matchAll(/[{,]([a-zA-Z_][a-zA-Z0-9_]*)="/g)].map((match) => match[1]));
    expect([...names].sort()).toEqual(["le", "method", "operation", "outcome", "route", "status_class"]);
  });

  it("is not in the OpenAPI document", async () => {
    const doc = await call(h.app, "GET", "/openapi.json");
    expectStatus(doc, 200);
    expect(Object.keys((doc.json as { paths: object }).paths)).not.toContain("/metrics");
  });
});
