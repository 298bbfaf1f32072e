import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, type Harness, harness, login, NEW_ADMIN_PASSWORD } from "./helpers.js";

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(() => h.close());

describe("sessions", () => {
  it("logs in with the temporary password, blocks everything else until it is changed, then opens up", async () => {
    const res = await login(h.app, "asp1", DEMO.adminLogin, DEMO.adminTemporaryPassword);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      temporaryPassword: true,
      admin: { login: "account.admin" },
      contract: { code: "000000", name: "Demo Company", model: "legacy", serverHost: "asp1" },
    });
    expect(new Date(res.json.expiresAt).getTime()).toBe(h.clock.now.getTime() + 12 * 3600 * 1000);
    const token = res.json.token as string;

    const blocked = await call(h.app, "GET", "/users", { token });
    expect(blocked.status).toBe(403);
    expect(blocked.json.error.code).toBe("password-change-required");
    expect((await call(h.app, "GET", "/sessions/current", { token })).json.temporaryPassword).toBe(true);

    const short = await call(h.app, "PUT", "/sessions/current/password", {
      token,
      body: { currentPassword: DEMO.adminTemporaryPassword, newPassword: "short" },
    });
    expect(short.status).toBe(400);
    expect(short.json.error.field).toBe("newPassword");

    const wrong = await call(h.app, "PUT", "/sessions/current/password", {
      token,
      body: { currentPassword: "not-the-password", newPassword: NEW_ADMIN_PASSWORD },
    });
    expect(wrong.json.error.field).toBe("currentPassword");

    const changed = await call(h.app, "PUT", "/sessions/current/password", {
      token,
      body: { currentPassword: DEMO.adminTemporaryPassword, newPassword: NEW_ADMIN_PASSWORD },
    });
    expect(changed.status).toBe(204);
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
    expect(again.json.temporaryPassword).toBe(false);

    // Logout ends the session.
    expect((await call(h.app, "DELETE", "/sessions/current", { token })).status).toBe(204);
    const after = await call(h.app, "GET", "/users", { token });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe("unauthorized");
  });

  it("answers unknown admin, unknown server and wrong password alike", async () => {
    const bodies = [
      await login(h.app, "asp1", "nobody", "whatever-password"),
      await login(h.app, "nosuch", DEMO.adminLogin, NEW_ADMIN_PASSWORD),
      await login(h.app, "neo1", DEMO.neo.adminLogin, "wrong-password"),
    ];
    for (const b of bodies) {
      expect(b.status).toBe(401);
      expect(b.json.error.code).toBe("invalid-credentials");
      expect(b.json.error.message).toBe(bodies[0]?.json.error.message);
    }
  });

  it("ends a session after the contract's idle timeout, and not before", async () => {
    const token = (await login(h.app, "asp1", DEMO.adminLogin, NEW_ADMIN_PASSWORD)).json.token;
    h.clock.advance(1799);
    expect((await call(h.app, "GET", "/users", { token })).status).toBe(200);
    h.clock.advance(1799); // idle time counts from the last request
    expect((await call(h.app, "GET", "/users", { token })).status).toBe(200);
    h.clock.advance(1800);
    const expired = await call(h.app, "GET", "/users", { token });
    expect(expired.status).toBe(401);
    expect(expired.json.error.code).toBe("session-expired");
    expect(expired.json.error.requestId).toBe(expired.headers.get("x-request-id"));
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
    expect(locked.status).toBe(401);
    expect(locked.json.error.code).toBe("invalid-credentials");
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
    expect(outsideRight.status).toBe(401);
    expect(outsideRight.json.error.code).toBe("invalid-credentials");
    for (let i = 0; i < 3; i++) {
      const outsideWrong = await login(h.app, "fuji", DEMO.fuji.adminLogin, "guess", "203.0.113.9");
      expect(outsideWrong.status).toBe(401);
      expect(outsideWrong.json.error.message).toBe(outsideRight.json.error.message);
    }
    const inside = await login(
      h.app,
      "fuji",
      DEMO.fuji.adminLogin,
      DEMO.adminTemporaryPassword,
      "198.51.100.7",
    );
    expect(inside.status).toBe(200);
  });

  it("serves health, readiness, the OpenAPI 3.1 document and the docs page without a session", async () => {
    expect((await call(h.app, "GET", "/health")).json).toEqual({ status: "ok" });
    expect((await call(h.app, "GET", "/ready")).json).toEqual({ status: "ready" });
    const doc = await call(h.app, "GET", "/openapi.json");
    expect(doc.json.openapi).toBe("3.1.0");
    expect(Object.keys(doc.json.paths)).toEqual(
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
    const token = (await login(h.app, "asp1", DEMO.adminLogin, NEW_ADMIN_PASSWORD)).json.token;
    const missing = await call(h.app, "GET", "/nope", { token });
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("not-found");
    const malformed = await call(h.app, "POST", "/sessions", {
      raw: "{",
      headers: { "content-type": "application/json" },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.field).toBe("body");
    const wrongType = await call(h.app, "POST", "/sessions", {
      raw: "x=1",
      headers: { "content-type": "text/plain" },
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.json.error.field).toBe("content-type");
  });
});
