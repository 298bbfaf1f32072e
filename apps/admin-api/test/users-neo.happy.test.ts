import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, callRaw, errorOf, expectStatus, readyAdmin, useHarness } from "./helpers.js";

const h = useHarness(async (h) => ({
  neoToken: await readyAdmin(h.app, DEMO.neo.serverHost, DEMO.neo.adminLogin),
  legacyToken: await readyAdmin(h.app),
}));

const neoUser = async (name: string) =>
  (
    await h.t.db
      .select()
      .from(schema.users)
      .where(and(eq(schema.users.serverHost, DEMO.neo.serverHost), eq(schema.users.userName, name)))
  )[0];

describe("neo device settings", () => {
  it("shows and changes a neo user's device limit and registration, audited", async () => {
    const read = await call(h.app, "GET", "/users/neo.user1", { token: h.neoToken });
    expectStatus(read, 200);
    expect(read.json.neo).toEqual({ deviceLimit: 2, registrationOpen: true });
    const res = await call(h.app, "PATCH", "/users/neo.user1", {
      token: h.neoToken,
      body: { version: read.json.version, neo: { deviceLimit: 5, registrationOpen: false } },
    });
    expectStatus(res, 200);
    expect(res.json.neo).toEqual({ deviceLimit: 5, registrationOpen: false });
    const row = await neoUser("neo.user1");
    expect(row?.neoDeviceLimit).toBe(5);
    expect(row?.neoRegistrationOpen).toBe(false);
    const [audit] = await h.t.db
      .select()
      .from(schema.adminAudit)
      .where(eq(schema.adminAudit.targetId, "neo.user1"));
    expect(audit?.action).toBe("user.update");
    expect(audit?.before).toEqual({
      neoDeviceLimit: 2,
      neoRegistrationOpen: true,
      version: read.json.version,
    });
    expect(audit?.after).toEqual({
      neoDeviceLimit: 5,
      neoRegistrationOpen: false,
      version: read.json.version + 1,
    });

    // null hands the limit back to the contract's.
    const back = await call(h.app, "PATCH", "/users/neo.user1", {
      token: h.neoToken,
      body: { version: res.json.version, neo: { deviceLimit: null } },
    });
    expectStatus(back, 200);
    expect(back.json.neo).toEqual({ deviceLimit: null, registrationOpen: false });
  });

  it("changes many neo users at once, all or nothing", async () => {
    const [a, b] = await Promise.all([
      call(h.app, "GET", "/users/neo.user1", { token: h.neoToken }),
      call(h.app, "GET", "/users/neo.mobile", { token: h.neoToken }),
    ]);
    expectStatus(a, 200);
    expectStatus(b, 200);
    const bad = await call(h.app, "PATCH", "/users", {
      token: h.neoToken,
      body: {
        users: [
          { userName: "neo.user1", version: a.json.version, neo: { registrationOpen: true } },
          { userName: "neo.mobile", version: b.json.version, neo: { deviceLimit: 0 } },
        ],
      },
    });
    expectStatus(bad, 400);
    expect(errorOf(bad).field).toBe("users[1].neo.deviceLimit");
    expect((await neoUser("neo.user1"))?.neoRegistrationOpen).toBe(false);

    const ok = await call(h.app, "PATCH", "/users", {
      token: h.neoToken,
      body: {
        users: [
          { userName: "neo.user1", version: a.json.version, neo: { registrationOpen: true } },
          {
            userName: "neo.mobile",
            version: b.json.version,
            neo: { deviceLimit: 1, registrationOpen: false },
          },
        ],
      },
    });
    expectStatus(ok, 200);
    expect(ok.json.users.map((u) => u.neo)).toEqual([
      { deviceLimit: null, registrationOpen: true },
      { deviceLimit: 1, registrationOpen: false },
    ]);
    expect((await neoUser("neo.mobile"))?.neoDeviceLimit).toBe(1);
  });

  it.each([
    [{ deviceLimit: 0 }, "neo.deviceLimit"],
    [{ deviceLimit: 101 }, "neo.deviceLimit"],
    [{ deviceLimit: 2.5 }, "neo.deviceLimit"],
    [{ registrationOpen: "yes" }, "neo.registrationOpen"],
    [{ slots: 3 }, "neo.slots"],
  ])("rejects neo %j naming %s, changing nothing", async (neo, field) => {
    const read = await call(h.app, "GET", "/users/neo.mobile", { token: h.neoToken });
    expectStatus(read, 200);
    // Values the schema refuses, some of the wrong type: sent as a client that ignores the types would.
    const res = await callRaw(h.app, "PATCH", "/users/neo.mobile", {
      token: h.neoToken,
      body: { version: read.json.version, neo },
    });
    expectStatus(res, 400);
    expect(errorOf(res).field).toBe(field);
    expect((await neoUser("neo.mobile"))?.version).toBe(read.json.version);
  });

  it("refuses neo settings on a legacy contract, naming the field", async () => {
    const read = await call(h.app, "GET", "/users/user1", { token: h.legacyToken });
    expectStatus(read, 200);
    const res = await call(h.app, "PATCH", "/users/user1", {
      token: h.legacyToken,
      body: { version: read.json.version, neo: { registrationOpen: false } },
    });
    expectStatus(res, 400);
    expect(errorOf(res).field).toBe("neo");
    const batch = await call(h.app, "PATCH", "/users", {
      token: h.legacyToken,
      body: {
        users: [{ userName: "user1", version: read.json.version, memo: "x", neo: { deviceLimit: 3 } }],
      },
    });
    expectStatus(batch, 400);
    expect(errorOf(batch).field).toBe("users[0].neo");
    const after = await call(h.app, "GET", "/users/user1", { token: h.legacyToken });
    expectStatus(after, 200);
    expect(after.json.version).toBe(read.json.version);
    expect(after.json.memo).toBe(read.json.memo);
  });
});
