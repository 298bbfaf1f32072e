/**
 * The login door as an attacker meets it: every failed login (unknown server, unknown admin, wrong
 * password, locked, outside the admin allow-list with or without the right password) gets the same
 * answer for the same work, counted in database statements and argon2 verifications, not timed;
 * parallel guesses are all counted; rate limits and the hash queue answer 429 / 503 with Retry-After;
 * X-Forwarded-For is believed only from a trusted proxy (real sockets); a token dies when the allow-list
 * excludes where it is used from; a wrong current password on a password change counts as a failure.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { type ServerType, serve } from "@hono/node-server";
import { connect, schema } from "@tsunagi/db";
import { type TestDatabase, useTestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { eq } from "drizzle-orm";
import { pino } from "pino";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../src/app.js";
import type { AdminApiConfig } from "../src/context.js";
import {
  call,
  errorOf,
  expectStatus,
  type Harness,
  harness,
  login,
  loginToken,
  looseConfig,
  NEW_ADMIN_PASSWORD,
  readyAdmin,
  useHarness,
} from "./helpers.js";

const verifies = vi.hoisted(() => ({ count: 0 }));
vi.mock("argon2", async (importOriginal) =>
  (await import("@tsunagi/core/testing")).countingArgon2(importOriginal, verifies),
);

const RIGHT = DEMO.adminTemporaryPassword;

/** For the file's describe block: a harness whose app's every statement is counted. */
function useCountedApp(config: AdminApiConfig = looseConfig, prepare?: (h: Harness) => Promise<unknown>) {
  const statements: string[] = [];
  return useHarness(
    async (h) => {
      await prepare?.(h);
      return { statements };
    },
    { config, connect: (t) => connect(t.url, { max: 10, onQuery: (query) => statements.push(query) }) },
  );
}

async function adminRow(t: TestDatabase, server: string) {
  const [row] = await t.db
    .select()
    .from(schema.adminAccounts)
    .where(eq(schema.adminAccounts.serverHost, server));
  if (!row) throw new Error(`no admin on ${server}`);
  return row;
}

describe("one answer, one cost, for every failed login", () => {
  const env = useCountedApp(looseConfig, async (env) => {
    // fuji: only 198.51.100.0/24 may log in. neo1: locked by its own threshold below.
    await env.t.db
      .update(schema.contracts)
      .set({ adminAllowCidrs: ["198.51.100.0/24"] })
      .where(eq(schema.contracts.serverHost, "fuji"));
    await env.t.db
      .update(schema.contracts)
      .set({ lockoutThreshold: 2, lockoutSeconds: 600 })
      .where(eq(schema.contracts.serverHost, "neo1"));
    for (const guess of ["wrong-1", "wrong-2"]) {
      expect((await login(env.app, "neo1", DEMO.neo.adminLogin, guess)).status).toBe(401);
    }
    expect((await adminRow(env.t, "neo1")).lockedUntil?.getTime()).toBeGreaterThan(env.clock.now.getTime());
  });

  it("answers 401 invalid-credentials with the same body, two statements and one verification on each path", async () => {
    const outcomes = {
      "unknown server": () => login(env.app, "nowhere", DEMO.adminLogin, RIGHT),
      "unknown admin": () => login(env.app, "asp1", "no.such.admin", RIGHT),
      "wrong password": () => login(env.app, "asp1", DEMO.adminLogin, "not-the-password"),
      "locked, right password": () => login(env.app, "neo1", DEMO.neo.adminLogin, RIGHT),
      "outside the allow-list, right password": () =>
        login(env.app, "fuji", DEMO.fuji.adminLogin, RIGHT, "203.0.113.9"),
      "outside the allow-list, wrong password": () =>
        login(env.app, "fuji", DEMO.fuji.adminLogin, "not-the-password", "203.0.113.9"),
    };
    // Warm up: prepared statements and the dummy hash are made once per process.
    await login(env.app, "asp1", "warm.up", "x-password");
    const seen: Record<string, { status: number; body: unknown; statements: number; verifies: number }> = {};
    for (const [name, attempt] of Object.entries(outcomes)) {
      const statementsBefore = env.statements.length;
      const verifiesBefore = verifies.count;
      const reply = await attempt();
      seen[name] = {
        status: reply.status,
        body: { ...reply.json, error: { ...errorOf(reply), requestId: "…" } },
        statements: env.statements.length - statementsBefore,
        verifies: verifies.count - verifiesBefore,
      };
    }
    const reference = seen["wrong password"];
    expect(reference?.status).toBe(401);
    expect(reference?.body).toMatchObject({ error: { code: "invalid-credentials" } });
    for (const [name, outcome] of Object.entries(seen)) {
      expect({ name, ...outcome }).toEqual({ name, ...reference });
    }
    expect(reference?.verifies).toBe(1);
    expect(reference?.statements).toBe(2);
  });

  it("lets an admin in from inside the allow-list; the outsider's failures never touched the counter", async () => {
    expect((await adminRow(env.t, "fuji")).failedCount).toBe(0);
    const inside = await login(env.app, "fuji", DEMO.fuji.adminLogin, RIGHT, "198.51.100.7");
    expectStatus(inside, 200);
  });
});

describe("parallel guesses", () => {
  const env = useCountedApp();

  it("counts every one of 50 parallel wrong logins, locks the admin, then refuses the right password", async () => {
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => login(env.app, "asp1", DEMO.adminLogin, `wrong-${i}`)),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(50).fill(401));
    const row = await adminRow(env.t, "asp1");
    expect(row.failedCount).toBe(50);
    expect(row.lockedUntil?.getTime()).toBe(env.clock.now.getTime() + 900 * 1000);
    const right = await login(env.app, "asp1", DEMO.adminLogin, RIGHT);
    expectStatus(right, 401);
    expect(errorOf(right).code).toBe("invalid-credentials");
  });
});

describe("rate limits and the hash queue", () => {
  const env = useCountedApp({
    ...looseConfig,
    loginRateLimitPerAddress: { burst: 3, perSecond: 0.1 },
    loginRateLimitPerName: { burst: 100, perSecond: 1 },
  });

  it("answers 429 with Retry-After per source address, IPv6 counted by its /64, and refills with time", async () => {
    for (let i = 0; i < 3; i++) {
      expect((await login(env.app, "asp1", "nobody", "guess", `2001:db8:1:2::${i + 1}`)).status).toBe(401);
    }
    const limited = await login(env.app, "asp1", "nobody", "guess", "2001:db8:1:2:ffff::9");
    expectStatus(limited, 429);
    expect(limited.headers.get("retry-after")).toBe("10");
    expect(errorOf(limited)).toMatchObject({ code: "rate-limited", requestId: expect.any(String) });
    // Another /64, and an IPv4 address, have buckets of their own.
    expect((await login(env.app, "asp1", "nobody", "guess", "2001:db8:1:3::1")).status).toBe(401);
    expect((await login(env.app, "asp1", "nobody", "guess", "192.0.2.44")).status).toBe(401);
    env.clock.now = new Date(env.clock.now.getTime() + 10_000);
    expect((await login(env.app, "asp1", "nobody", "guess", "2001:db8:1:2::1")).status).toBe(401);
  });

  it("answers 429 per login name, but an outsider only empties the outside bucket", async () => {
    const perName = await harness({
      config: { ...looseConfig, loginRateLimitPerName: { burst: 3, perSecond: 0.01 } },
    });
    try {
      await perName.t.db
        .update(schema.contracts)
        .set({ adminAllowCidrs: ["198.51.100.0/24"] })
        .where(eq(schema.contracts.serverHost, "fuji"));
      const outside = [];
      for (let i = 0; i < 5; i++) {
        outside.push(
          (await login(perName.app, "fuji", DEMO.fuji.adminLogin, "guess", `203.0.113.${i}`)).status,
        );
      }
      expect(outside).toEqual([401, 401, 401, 429, 429]);
      const inside = await login(perName.app, "fuji", DEMO.fuji.adminLogin, RIGHT, "198.51.100.7");
      expectStatus(inside, 200);
      // From inside, the name's own bucket: an unknown name is limited the same way (nothing told).
      const unknown = [];
      for (let i = 0; i < 4; i++) {
        unknown.push((await login(perName.app, "fuji", "no.such.admin", "guess", `198.51.100.${i}`)).status);
      }
      expect(unknown).toEqual([401, 401, 401, 429]);
    } finally {
      await perName.close();
    }
  });

  it("answers 503 with Retry-After when the hash queue is full", async () => {
    const busy = await harness({ config: { ...looseConfig, maxConcurrentHashes: 1, maxQueuedHashes: 1 } });
    try {
      const replies = await Promise.all(
        Array.from({ length: 12 }, (_, i) => login(busy.app, "asp1", DEMO.adminLogin, `wrong-${i}`)),
      );
      const refused = replies.filter((r) => r.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      expect(replies.every((r) => r.status === 503 || r.status === 401)).toBe(true);
      expect(refused[0]?.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
      expect(refused[0]?.json.error.code).toBe("busy");
      // Only attempts that were hashed were counted.
      expect((await adminRow(busy.t, "asp1")).failedCount).toBe(replies.length - refused.length);
    } finally {
      await busy.close();
    }
  });
});

/** The admin API on a real socket at 127.0.0.1, its log lines kept. */
async function listening(t: TestDatabase, config: AdminApiConfig) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = createApp({ db: t.db, logger: pino({ level: "info" }, sink), config });
  const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const loginVia = async (forwardedFor: string, password = RIGHT) => {
    const res = await fetch(`http://127.0.0.1:${port}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
      body: JSON.stringify({ server: "fuji", login: DEMO.fuji.adminLogin, password }),
    });
    await res.arrayBuffer();
    const logged = lines.filter((l) => l.login === DEMO.fuji.adminLogin).at(-1);
    return { status: res.status, address: logged?.address };
  };
  return { loginVia, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("trusted proxies, on a real socket", () => {
  const t = useTestDatabase(async (t) => {
    await seedDemo(t.db);
    await t.db
      .update(schema.contracts)
      .set({ adminAllowCidrs: ["192.0.2.0/24"] })
      .where(eq(schema.contracts.serverHost, "fuji"));
  });

  it("ignores a forged X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    const api = await listening(t, { ...looseConfig, trustedProxies: ["10.0.0.0/8"] });
    try {
      expect(await api.loginVia("192.0.2.10")).toEqual({ status: 401, address: "127.0.0.1" });
    } finally {
      await api.close();
    }
  });

  it("from a trusted proxy, takes the right-most hop that is not a trusted proxy", async () => {
    const api = await listening(t, { ...looseConfig, trustedProxies: ["127.0.0.1", "10.0.0.0/8"] });
    try {
      expect(await api.loginVia("192.0.2.10")).toEqual({ status: 200, address: "192.0.2.10" });
      // A client put 192.0.2.10 on the left; the proxy appended where it really came from.
      expect(await api.loginVia("192.0.2.10, 203.0.113.9")).toEqual({ status: 401, address: "203.0.113.9" });
      expect(await api.loginVia("203.0.113.9, 192.0.2.11, 10.1.2.3")).toEqual({
        status: 200,
        address: "192.0.2.11",
      });
    } finally {
      await api.close();
    }
  });
});

describe("admin-side revocation and the password change", () => {
  const h = useHarness();

  it("ends a session used from an address the admin allow-list no longer includes", async () => {
    const token = await readyAdmin(h.app);
    const elsewhere = await loginToken(h.app, "asp1", DEMO.adminLogin, NEW_ADMIN_PASSWORD, "198.51.100.7");
    expect((await call(h.app, "GET", "/users", { token: elsewhere, from: "198.51.100.7" })).status).toBe(200);
    const changed = await call(h.app, "PATCH", "/security", {
      token,
      body: { adminAllowCidrs: ["192.0.2.0/24"] },
    });
    expectStatus(changed, 200);
    const revoked = await call(h.app, "GET", "/users", { token: elsewhere, from: "198.51.100.7" });
    expectStatus(revoked, 401);
    expect(errorOf(revoked).code).toBe("address-not-allowed");
    // The session is gone: coming back from an allowed address does not revive it.
    expect((await call(h.app, "GET", "/users", { token: elsewhere, from: "192.0.2.10" })).status).toBe(401);
    // The token that made the change keeps working from inside, and dies once used from outside.
    expect((await call(h.app, "GET", "/users", { token })).status).toBe(200);
    expect((await call(h.app, "GET", "/users", { token, from: "203.0.113.9" })).status).toBe(401);
    expect((await call(h.app, "GET", "/users", { token })).status).toBe(401);
  });

  it("counts a wrong current password as a login failure, locks at the threshold, then refuses the change", async () => {
    await h.t.db
      .update(schema.contracts)
      .set({ lockoutThreshold: 3, lockoutSeconds: 600 })
      .where(eq(schema.contracts.serverHost, "fuji"));
    const token = await loginToken(h.app, "fuji", DEMO.fuji.adminLogin, RIGHT);
    for (let i = 0; i < 3; i++) {
      const wrong = await call(h.app, "PUT", "/sessions/current/password", {
        token,
        body: { currentPassword: `wrong-${i}`, newPassword: NEW_ADMIN_PASSWORD },
      });
      expectStatus(wrong, 400);
      expect(errorOf(wrong).field).toBe("currentPassword");
    }
    const row = await adminRow(h.t, "fuji");
    expect(row.failedCount).toBe(3);
    expect(row.lockedUntil?.getTime()).toBe(h.clock.now.getTime() + 600 * 1000);
    const whileLocked = await call(h.app, "PUT", "/sessions/current/password", {
      token,
      body: { currentPassword: RIGHT, newPassword: NEW_ADMIN_PASSWORD },
    });
    expectStatus(whileLocked, 400);
    expect(errorOf(whileLocked).field).toBe("currentPassword");
    expect((await adminRow(h.t, "fuji")).passwordHash).toBe(row.passwordHash);
    expect((await login(h.app, "fuji", DEMO.fuji.adminLogin, RIGHT)).status).toBe(401);
    h.clock.advance(601);
    const after = await call(h.app, "PUT", "/sessions/current/password", {
      token,
      body: { currentPassword: RIGHT, newPassword: NEW_ADMIN_PASSWORD },
    });
    expectStatus(after, 204);
    expect((await adminRow(h.t, "fuji")).failedCount).toBe(0);
  });
});
