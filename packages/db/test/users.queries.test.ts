import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { findUserForAttempt, initialiseSlot, registerDevice, updateUser } from "../src/queries/index.js";
import { deviceRegistrations, groupLinks, users } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser } from "./helpers.js";

const t = useTestDatabase();

const device = (n: number) => ({ machineId: `m${n}`, osUser: "alice", installPublicKey: `key${n}` });

describe("users", () => {
  it("finds a user by server host and name, with its slots and group links, and no one else's", async () => {
    const a = await makeContract(t.db, "asp1x");
    const b = await makeContract(t.db, "fujix");
    const viewer = await makeUser(t.db, a, "user1");
    const office = await makeUser(t.db, a, "office");
    await makeUser(t.db, b, "user1");
    await t.db
      .insert(groupLinks)
      .values({ contractId: a.id, viewerUserId: viewer.id, clientUserId: office.id });
    await registerDevice(t.db, viewer.id, "pc", device(1));
    const found = await findUserForAttempt(t.db, "asp1x", "user1");
    expect(found?.user.id).toBe(viewer.id);
    expect(found?.contract.serverHost).toBe("asp1x");
    expect(found?.linkedClients).toEqual(["office"]);
    expect(found?.registrations.map((r) => r.machineId)).toEqual(["m1"]);
    expect(await findUserForAttempt(t.db, "asp1x", "nobody")).toBeNull();
    expect((await findUserForAttempt(t.db, "fujix", "user1"))?.user.id).not.toBe(viewer.id);
  });

  it("registers exactly one of ten devices racing into one empty legacy slot", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "racer");
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => registerDevice(t.db, u.id, "pc", device(i))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(
      await t.db.select().from(deviceRegistrations).where(eq(deviceRegistrations.userId, u.id)),
    ).toHaveLength(1);
  });

  it("fills a neo user's places up to its limit and no further", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "neo");
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => registerDevice(t.db, u.id, "pc", device(i), 3)),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
  });

  it("counts a neo account's places across both slots, even when two first logins race", async () => {
    const c = await makeContract(t.db);
    for (let round = 0; round < 5; round++) {
      const u = await makeUser(t.db, c, `neo-both-${round}`);
      const results = await Promise.all([
        registerDevice(t.db, u.id, "pc", device(1), 1, "user"),
        registerDevice(t.db, u.id, "mobile", device(2), 1, "user"),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    }
    const u = await makeUser(t.db, c, "neo-both-limit-2");
    expect(await registerDevice(t.db, u.id, "pc", device(1), 2, "user")).not.toBeNull();
    expect(await registerDevice(t.db, u.id, "mobile", device(2), 2, "user")).not.toBeNull();
    expect(await registerDevice(t.db, u.id, "mobile", device(3), 2, "user")).toBeNull();
  });

  it("initialises one slot: its device is forgotten, the other slot kept, the slot marked", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "init");
    await registerDevice(t.db, u.id, "pc", device(1));
    await registerDevice(t.db, u.id, "mobile", device(2));
    expect(await initialiseSlot(t.db, u.id, "pc")).toBe(1);
    const left = await t.db.select().from(deviceRegistrations).where(eq(deviceRegistrations.userId, u.id));
    expect(left.map((r) => r.slot)).toEqual(["mobile"]);
    const [after] = await t.db.select().from(users).where(eq(users.id, u.id));
    expect(after?.pcSlotInitialisedAt).toBeInstanceOf(Date);
    expect(after?.mobileSlotInitialisedAt).toBeNull();
    // The next registration clears the "was initialised" mark.
    await registerDevice(t.db, u.id, "pc", device(3));
    const [again] = await t.db.select().from(users).where(eq(users.id, u.id));
    expect(again?.pcSlotInitialisedAt).toBeNull();
  });

  it("updates with a version check: a stale second edit is refused, not applied", async () => {
    const c = await makeContract(t.db);
    const other = await makeContract(t.db);
    const u = await makeUser(t.db, c, "edited");
    const first = await updateUser(t.db, c.id, u.id, 1, { memo: "first" });
    expect(first.ok && first.after.version).toBe(2);
    const second = await updateUser(t.db, c.id, u.id, 1, { memo: "second" });
    expect(second).toMatchObject({ ok: false, error: "version-conflict" });
    const [row] = await t.db.select().from(users).where(eq(users.id, u.id));
    expect(row?.memo).toBe("first");
    expect(await updateUser(t.db, other.id, u.id, 2, { memo: "intruder" })).toMatchObject({
      ok: false,
      error: "not-found",
    });
  });
});
