import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, errorOf, expectStatus, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

describe("grouping", () => {
  it("lists links both ways, adds and removes them, exports and imports CSV", async () => {
    const list = await call(h.app, "GET", "/groups", { token: h.token });
    expectStatus(list, 200);
    expect(list.json.byClient).toEqual([{ client: "office.pc", viewers: ["usb.ndl", "user1"] }]);
    expectStatus(list, 200);
    expect(list.json.byViewer).toEqual([
      { viewer: "usb.ndl", clients: ["office.pc"] },
      { viewer: "user1", clients: ["office.pc"] },
    ]);
    const added = await call(h.app, "POST", "/groups/links", {
      token: h.token,
      body: {
        links: [
          { viewer: "user1", client: "term.ex" },
          { viewer: "user1", client: "office.pc" },
        ],
      },
    });
    expect(added.json).toEqual({ added: 1, removed: 0 });
    const self = await call(h.app, "POST", "/groups/links", {
      token: h.token,
      body: { links: [{ viewer: "user1", client: "user1" }] },
    });
    expect(errorOf(self).field).toBe("links[0].client");

    const csv = await call(h.app, "GET", "/groups/csv", { token: h.token });
    expect(csv.text.split("\r\n")).toEqual([
      "viewer,client",
      "usb.ndl,office.pc",
      "user1,office.pc",
      "user1,term.ex",
      "",
    ]);

    const bad = await call(h.app, "POST", "/groups/csv?mode=add", {
      token: h.token,
      raw: "viewer,client\nuser1,term.xdl\nuser1,nobody\n",
      headers: { "content-type": "text/csv" },
    });
    expectStatus(bad, 400);
    expect(errorOf(bad).field).toBe("line 3");
    const unchanged = await call(h.app, "GET", "/groups", { token: h.token });
    expectStatus(unchanged, 200);
    expect(unchanged.json.links).toHaveLength(3); // nothing added

    const imported = await call(h.app, "POST", "/groups/csv?mode=add", {
      token: h.token,
      raw: "mobile.ios,office.pc\r\nmobile.mac,office.pc\r\n",
      headers: { "content-type": "text/csv" },
    });
    expect(imported.json).toEqual({ added: 2, removed: 0 });
    const deleted = await call(h.app, "POST", "/groups/csv?mode=delete", {
      token: h.token,
      raw: "viewer,client\nmobile.ios,office.pc\nuser1,term.ex\n",
      headers: { "content-type": "text/csv" },
    });
    expect(deleted.json).toEqual({ added: 0, removed: 2 });
    const removed = await call(h.app, "POST", "/groups/links/remove", {
      token: h.token,
      body: { links: [{ viewer: "mobile.mac", client: "office.pc" }] },
    });
    expectStatus(removed, 200);
    expect(removed.json.removed).toBe(1);
  });
});

describe("security settings", () => {
  it("reads and changes the allow-list, lockout and idle timeout, refusing a list that shuts the admin out", async () => {
    const read = await call(h.app, "GET", "/security", { token: h.token });
    expect(read.json).toEqual({
      adminAllowCidrs: null,
      lockout: { threshold: 5, durationSeconds: 900 },
      adminIdleTimeoutSeconds: 1800,
    });
    const selfLock = await call(h.app, "PATCH", "/security", {
      token: h.token,
      body: { adminAllowCidrs: ["198.51.100.0/24"] },
    });
    expectStatus(selfLock, 400);
    expect(errorOf(selfLock).field).toBe("adminAllowCidrs");
    const badCidr = await call(h.app, "PATCH", "/security", {
      token: h.token,
      body: { adminAllowCidrs: ["192.0.2.0/33"] },
    });
    expect(errorOf(badCidr).field).toBe("adminAllowCidrs[0]");
    const ok = await call(h.app, "PATCH", "/security", {
      token: h.token,
      body: {
        adminAllowCidrs: ["192.0.2.0/24"],
        lockout: { threshold: 3, durationSeconds: 600 },
        adminIdleTimeoutSeconds: 600,
      },
    });
    expect(ok.json).toEqual({
      adminAllowCidrs: ["192.0.2.0/24"],
      lockout: { threshold: 3, durationSeconds: 600 },
      adminIdleTimeoutSeconds: 600,
    });
    const [contract] = await h.t.db
      .select()
      .from(schema.contracts)
      .where(eq(schema.contracts.serverHost, "asp1"));
    expect(contract?.lockoutThreshold).toBe(3);
    const audit = await call(h.app, "GET", "/audit", { token: h.token });
    expectStatus(audit, 200);
    expect(audit.json.entries[0]).toMatchObject({
      action: "security.update",
      admin: "account.admin",
      after: { adminIdleTimeoutSeconds: 600 },
    });
  });
});

describe("active sessions", () => {
  it("lists who is connected and asks the relay to disconnect one", async () => {
    // user1 of the admin's own server: another contract has a user1 too.
    const [user1] = await h.t.db
      .select()
      .from(schema.users)
      .where(and(eq(schema.users.userName, "user1"), eq(schema.users.serverHost, DEMO.serverHost)));
    const [session] = await h.t.db
      .insert(schema.activeSessions)
      .values({
        contractId: user1?.contractId ?? "",
        userId: user1?.id ?? "",
        userName: "user1",
        role: "viewer",
        relayInstance: "r1",
        historyId: 1,
        sourceAddress: "203.0.113.25",
      })
      .returning();
    const list = await call(h.app, "GET", "/active-sessions", { token: h.token });
    expectStatus(list, 200);
    expect(list.json.sessions).toMatchObject([
      { userName: "user1", role: "viewer", disconnectRequestedAt: null },
    ]);
    const res = await call(h.app, "DELETE", `/active-sessions/${session?.id}`, { token: h.token });
    expectStatus(res, 202);
    expect(res.json.disconnectRequestedAt).toBe(h.clock.now.toISOString());
    const [row] = await h.t.db
      .select()
      .from(schema.activeSessions)
      .where(eq(schema.activeSessions.id, session?.id ?? ""));
    expect(row?.disconnectRequestedAt?.toISOString()).toBe(h.clock.now.toISOString());
    const unknown = await call(h.app, "DELETE", "/active-sessions/00000000-0000-4000-8000-000000000000", {
      token: h.token,
    });
    expectStatus(unknown, 404);
  });
});

describe("reasons", () => {
  it("serves the catalogue in either language, by model", async () => {
    const neo = await call(h.app, "GET", "/reasons?model=neo&lang=ja");
    expectStatus(neo, 200);
    const keys = neo.json.reasons.map((r) => r.key);
    expect(keys).toContain("application-not-permitted");
    expect(keys).not.toContain("client-not-allowed");
    const bad = await call(h.app, "GET", "/reasons?lang=fr");
    expect(errorOf(bad).field).toBe("lang");
  });
});
