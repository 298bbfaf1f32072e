import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  call,
  callRaw,
  errorOf,
  expectStatus,
  login,
  loginToken,
  NEW_ADMIN_PASSWORD,
  useHarness,
} from "./helpers.js";

const h = useHarness();

describe("sessions", () => {
  it("logs in with the temporary password, blocks everything else until it is changed, then opens up", async () => {
    const res = await login(h.app, "asp1", DEMO.adminLogin, DEMO.adminTemporaryPassword);
    expectStatus(res, 200);
    expect(res.json).toMatchObject({
      temporaryPassword: true,
      admin: { login: "account.admin" },
      contract: { code: "000000", name: "Demo Company", model: "legacy", serverHost: "asp1" },
    });
    expect(new Date(res.json.expiresAt).getTime()).toBe(h.clock.now.getTime() + 12 * 3600 * 1000);
    const token = res.json.token as string;

    const blocked = await call(h.app, "GET", "/users", { token });
    expectStatus(blocked, 403);
    expect(errorOf(blocked).code).toBe("password-change-required");
    const current = await call(h.app, "GET", "/sessions/current", { token });
    expectStatus(current, 200);
    expect(current.json.temporaryPassword).toBe(true);

    const short = await call(h.app, "PUT", "/sessions/current/password", {
      token,
      body: { currentPassword: DEMO.adminTemporaryPassword, newPassword: "short" },
    });
    expectStatus(short, 400);
    expect(errorOf(short).field).toBe("newPassword");

    const wrong = await call(h.app, "PUT", "/sessions/current/password", {
      token,
      body: { currentPassword: "not-the-password", newPassword: NEW_ADMIN_PASSWORD },
    });
    expect(errorOf(wrong).field).toBe("currentPassword");

    const changed = await call(h.app, "PUT", "/sessions/current/password", {
      token,
      body: { currentPassword: DEMO.adminTemporaryPassword, newPassword: NEW_ADMIN_PASSWORD },
    });
    expectStatus(changed, 204);
    expect((await call(h.app, "GET", "/users", { token })).status).toBe(200);

    // The audit row records the change without any hash.
    const [audit] = await h.t.db
      .select()
      .from(schema.adminAudit)
      .where(eq(schema.adminAudit.action, "admin.password.change"));
    expect(audit?.adminLoginName).toBe("account.admin");
    expect(JSON.stringify(audit)).not.toMatch(/argon2|passwordHash/);

    // The old password no longer works; the new one does, and is no longer temporary.
    expect((await login(h.app, "asp1", DEMO.adminLogin, DEMO.adminTemporaryPassword)).status).toBe(401);
    const again = await login(h.app, "asp1", DEMO.adminLogin, NEW_ADMIN_PASSWORD);
    expectStatus(again, 200);
    expect(again.json.temporaryPassword).toBe(false);

    // Logout ends the session.
    expect((await call(h.app, "DELETE", "/sessions/current", { token })).status).toBe(204);
    const after = await call(h.app, "GET", "/users", { token });
    expectStatus(after, 401);
    expect(errorOf(after).code).toBe("unauthorized");
  });

  it("answers unknown admin, unknown server and wrong password alike", async () => {
    const bodies = [
      await login(h.app, "asp1", "nobody", "whatever-password"),
      await login(h.app, "nosuch", DEMO.adminLogin, NEW_ADMIN_PASSWORD),
      await login(h.app, "neo1", DEMO.neo.adminLogin, "wrong-password"),
    ];
    for (const b of bodies) {
      expectStatus(b, 401);
      expect(errorOf(b).code).toBe("invalid-credentials");
      expect(errorOf(b).message).toBe(bodies[0] && errorOf(bodies[0]).message);
    }
  });

  it("ends a session after the contract's idle timeout, and not before", async () => {
    const token = await loginToken(h.app, "asp1", DEMO.adminLogin, NEW_ADMIN_PASSWORD);
    h.clock.advance(1799);
    expect((await call(h.app, "GET", "/users", { token })).status).toBe(200);
    h.clock.advance(1799); // idle time counts from the last request
    expect((await call(h.app, "GET", "/users", { token })).status).toBe(200);
    h.clock.advance(1800);
    const expired = await call(h.app, "GET", "/users", { token });
    expectStatus(expired, 401);
    expect(errorOf(expired).code).toBe("session-expired");
    expect(errorOf(expired).requestId).toBe(expired.headers.get("x-request-id"));
  });

  it("locks an admin after the contract's threshold of wrong passwords, for the lockout duration", async () => {
    await h.t.db
      .update(schema.contracts)
      .set({ lockoutThreshold: 2, lockoutSeconds: 600 })
      .where(eq(schema.contracts.serverHost, "neo1"));
    expect((await login(h.app, "neo1", DEMO.neo.adminLogin, "wrong-1")).status).toBe(401);
    expect((await login(h.app, "neo1", DEMO.neo.adminLogin, "wrong-2")).status).toBe(401);
    // Locked: even the right password fails, with the same answer.
    const locked = await login(h.app, "neo1", DEMO.neo.adminLogin, DEMO.adminTemporaryPassword);
    expectStatus(locked, 401);
    expect(errorOf(locked).code).toBe("invalid-credentials");
    h.clock.advance(601);
    expect((await login(h.app, "neo1", DEMO.neo.adminLogin, DEMO.adminTemporaryPassword)).status).toBe(200);
  });

  it("honours the admin address allow-list, without letting outsiders lock the admin out", async () => {
    await h.t.db
      .update(schema.contracts)
      .set({ adminAllowCidrs: ["198.51.100.0/24"], lockoutThreshold: 2 })
      .where(eq(schema.contracts.serverHost, "fuji"));
    const outsideRight = await login(
      h.app,
      "fuji",
      DEMO.fuji.adminLogin,
      DEMO.adminTemporaryPassword,
      "203.0.113.9",
    );
    // The right password from outside is refused like any failure: the allow-list tells nothing.
    expectStatus(outsideRight, 401);
    expect(errorOf(outsideRight).code).toBe("invalid-credentials");
    for (let i = 0; i < 3; i++) {
      const outsideWrong = await login(h.app, "fuji", DEMO.fuji.adminLogin, "guess", "203.0.113.9");
      expectStatus(outsideWrong, 401);
      expect(errorOf(outsideWrong).message).toBe(errorOf(outsideRight).message);
    }
    const inside = await login(
      h.app,
      "fuji",
      DEMO.fuji.adminLogin,
      DEMO.adminTemporaryPassword,
      "198.51.100.7",
    );
    expectStatus(inside, 200);
  });

  it("serves health, readiness, the OpenAPI 3.1 document and the docs page without a session", async () => {
    expect((await call(h.app, "GET", "/health")).json).toEqual({ status: "ok" });
    expect((await call(h.app, "GET", "/ready")).json).toEqual({ status: "ready" });
    // The document is served beside the route table, not in it: read as what OpenAPI 3.1 promises.
    const doc = (await call(h.app, "GET", "/openapi.json")).json as { openapi: string; paths: object };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/sessions",
        "/history",
        "/history/csv",
        "/users/{userName}",
        "/groups/csv",
        "/security",
      ]),
    );
    const docs = await call(h.app, "GET", "/docs");
    expect(docs.text).toContain("/openapi.json");
  });

  it("answers an unknown route and a malformed body in the one error shape", async () => {
    // Anonymous callers learn nothing about which routes exist.
    expect((await call(h.app, "GET", "/nope")).status).toBe(401);
    const token = await loginToken(h.app, "asp1", DEMO.adminLogin, NEW_ADMIN_PASSWORD);
    const missing = await call(h.app, "GET", "/nope", { token });
    expectStatus(missing, 404);
    expect(errorOf(missing).code).toBe("not-found");
    const malformed = await callRaw(h.app, "POST", "/sessions", {
      raw: "{",
      headers: { "content-type": "application/json" },
    });
    expectStatus(malformed, 400);
    expect(errorOf(malformed).field).toBe("body");
    const wrongType = await callRaw(h.app, "POST", "/sessions", {
      raw: "x=1",
      headers: { "content-type": "text/plain" },
    });
    expectStatus(wrongType, 415);
    expect(errorOf(wrongType).field).toBe("content-type");
  });
});
