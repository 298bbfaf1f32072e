import { verifySecret } from "@tsunagi/core/password";
import { schema } from "@tsunagi/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, errorOf, expectStatus, type Reply, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

const userRow = async (name: string) =>
  (
    await h.t.db
      .select()
      .from(schema.users)
      .where(and(eq(schema.users.serverHost, "asp1"), eq(schema.users.userName, name)))
  )[0];

describe("users", () => {
  it("lists with search over name and memo, paged by name", async () => {
    const byMemo = await call(h.app, "GET", "/users?q=mobile%20(", { token: h.token });
    expectStatus(byMemo, 200);
    expect(byMemo.json.users.map((u) => u.userName)).toEqual([
      "mobile.android",
      "mobile.ios",
      "mobile.mac",
      "mobile.win",
    ]);
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const after: string = cursor ? `&cursor=${cursor}` : "";
      const res: Reply<"GET", "/users"> = await call(h.app, "GET", `/users?limit=5${after}`, {
        token: h.token,
      });
      expectStatus(res, 200);
      names.push(...res.json.users.map((u) => u.userName));
      cursor = res.json.nextCursor;
    } while (cursor);
    expect(names).toHaveLength(19);
    expect(names).toEqual([...names].sort());
    // A `%` in the search is a character, not a wildcard.
    const percent = await call(h.app, "GET", "/users?q=%25", { token: h.token });
    expectStatus(percent, 200);
    expect(percent.json.users).toEqual([]);
  });

  it("shows a user's slots, then initialises the mobile slot: 'unregistered (was initialised)'", async () => {
    const before = await call(h.app, "GET", "/users/user1", { token: h.token });
    expectStatus(before, 200);
    expect(before.headers.get("etag")).toBe(`"${before.json.version}"`);
    expect(before.json.slots.pc).toMatchObject({ applicable: true, state: "registered" });
    expect(before.json.slots.mobile).toMatchObject({ applicable: true, state: "registered" });
    const res = await call(h.app, "POST", "/users/user1/slots/mobile/initialise", { token: h.token });
    expectStatus(res, 200);
    expect(res.json.slots.mobile).toMatchObject({ state: "unregistered-initialised", devices: [] });
    expect(res.json.slots.pc.state).toBe("registered");
    expect(res.json.version).toBe(before.json.version + 1);
    const [audit] = await h.t.db
      .select()
      .from(schema.adminAudit)
      .where(eq(schema.adminAudit.targetId, "user1"));
    expect(audit?.before).toMatchObject({ slots: { mobile: "registered" } });
    expect(audit?.after).toMatchObject({ slots: { mobile: "unregistered-initialised" } });
  });

  it("changes one user with the version read; a stale version is a 409 and changes nothing", async () => {
    const read = await call(h.app, "GET", "/users/usb.ndl", { token: h.token });
    const ok = await call(h.app, "PATCH", "/users/usb.ndl", {
      token: h.token,
      headers: { "if-match": read.headers.get("etag") ?? "" },
      body: {
        memo: "moved to the Osaka office",
        permissions: { mobileConcurrentUse: true },
        restrictions: {
          ipAllow: { viewer: ["203.0.113.7", "10.1.2.3/8"] },
          macAllow: { client: ["AA-BB-CC-DD-EE-FF"] },
        },
      },
    });
    expectStatus(ok, 200);
    expect(ok.json.restrictions.ipAllow.viewer).toEqual(["203.0.113.7/32", "10.0.0.0/8"]);
    expect(ok.json.restrictions.macAllow.client).toEqual(["aa:bb:cc:dd:ee:ff"]);
    expect(ok.json.permissions.mobileConcurrentUse).toBe(true);
    expectStatus(read, 200);
    const stale = await call(h.app, "PATCH", "/users/usb.ndl", {
      token: h.token,
      body: { version: read.json.version, memo: "other admin" },
    });
    expectStatus(stale, 409);
    expect(errorOf(stale).code).toBe("version-conflict");
    expect((await userRow("usb.ndl"))?.memo).toBe("moved to the Osaka office");
    const none = await call(h.app, "PATCH", "/users/usb.ndl", {
      token: h.token,
      body: { memo: "no version" },
    });
    expectStatus(none, 428);
  });

  it("rejects a bad CIDR or MAC naming the field, and changes nothing", async () => {
    const before = await userRow("ip.limited");
    const res = await call(h.app, "PATCH", "/users/ip.limited", {
      token: h.token,
      body: {
        version: before?.version,
        memo: "x",
        restrictions: { ipAllow: { client: ["10.0.0.0/8", "10.0.0.300"] } },
      },
    });
    expectStatus(res, 400);
    expect(errorOf(res).field).toBe("restrictions.ipAllow.client[1]");
    // The field is named once, by its full path.
    expect(errorOf(res).message).toBe(
      'restrictions.ipAllow.client[1]: "10.0.0.300" is not an IPv4 or IPv6 address or CIDR range',
    );
    const mac = await call(h.app, "PATCH", "/users/ip.limited", {
      token: h.token,
      body: { version: before?.version, restrictions: { macAllow: { viewer: ["zz:zz"] } } },
    });
    expect(errorOf(mac).field).toBe("restrictions.macAllow.viewer[0]");
    expect(await userRow("ip.limited")).toEqual(before);
  });

  it("changes many users in one transaction: one stale version rolls back all", async () => {
    const a = await userRow("term.xdl");
    const b = await userRow("term.ex");
    if (!a || !b) expect.fail("the demo has term.xdl and term.ex");
    const bad = await call(h.app, "PATCH", "/users", {
      token: h.token,
      body: {
        users: [
          { userName: "term.xdl", version: a.version, memo: "batch" },
          { userName: "term.ex", version: 99, memo: "batch" },
        ],
      },
    });
    expectStatus(bad, 409);
    expect(errorOf(bad).field).toBe("users[1].version");
    expect((await userRow("term.xdl"))?.memo).toBe(a.memo);
    const good = await call(h.app, "PATCH", "/users", {
      token: h.token,
      body: {
        users: [
          { userName: "term.xdl", version: a.version, passwordSaving: { mayStoreLoginPassword: true } },
          { userName: "term.ex", version: b.version, passwordSaving: { mayStoreLoginPassword: true } },
        ],
      },
    });
    expectStatus(good, 200);
    expect(good.json.users.map((u) => u.passwordSaving.mayStoreLoginPassword)).toEqual([true, true]);
    const unknown = await call(h.app, "PATCH", "/users", {
      token: h.token,
      body: { users: [{ userName: "nobody", version: 1 }] },
    });
    expectStatus(unknown, 404);
    expect(errorOf(unknown).field).toBe("users[0].userName");
  });

  it("sets a password (audited without the hash) and unlocks a locked user", async () => {
    const res = await call(h.app, "PUT", "/users/dedicated/password", {
      token: h.token,
      body: { password: "a-fresh-password" },
    });
    expectStatus(res, 200);
    expect(await verifySecret((await userRow("dedicated"))?.passwordHash ?? "", "a-fresh-password")).toBe(
      true,
    );
    const audits = await h.t.db
      .select()
      .from(schema.adminAudit)
      .where(eq(schema.adminAudit.targetId, "dedicated"));
    expect(audits.at(-1)?.after).toMatchObject({ password: "changed" });
    expect(JSON.stringify(audits)).not.toMatch(/argon2/);

    await h.t.db
      .update(schema.users)
      .set({ failedCount: 5, lockedUntil: new Date("2026-11-20T10:00:00Z") })
      .where(eq(schema.users.userName, "finger.ex"));
    const locked = await call(h.app, "GET", "/users/finger.ex", { token: h.token });
    expectStatus(locked, 200);
    expect(locked.json.lockout.locked).toBe(true);
    const unlocked = await call(h.app, "POST", "/users/finger.ex/unlock", { token: h.token });
    expectStatus(unlocked, 200);
    expect(unlocked.json.lockout).toEqual({ failedCount: 0, lockedUntil: null, locked: false });
  });

  it("answers 404 naming userName for an unknown user", async () => {
    const res = await call(h.app, "GET", "/users/nobody", { token: h.token });
    expectStatus(res, 404);
    expect(errorOf(res).field).toBe("userName");
  });
});
