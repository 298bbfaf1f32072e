/** The admin API's queries on a real database: each reads and changes one contract only. */
import { describe, expect, it } from "vitest";
import {
  addGroupLinks,
  auditPage,
  groupLinksOf,
  insertAuditEntry,
  removeGroupLink,
  userByName,
  userIdsByName,
  usersByName,
  usersPage,
} from "../src/queries/index.js";
import { adminAccounts } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser } from "./helpers.js";

const t = useTestDatabase();

describe("admin queries", () => {
  it("pages a contract's users by name, searching name and memo with % and _ taken literally", async () => {
    const a = await makeContract(t.db);
    const b = await makeContract(t.db);
    for (const name of ["ann", "bob", "cat", "dan", "50%off", "a_b"]) await makeUser(t.db, a, name);
    await makeUser(t.db, b, "bob2");
    const first = await usersPage(t.db, a.id, { limit: 4 });
    expect(first.users.map((u) => u.userName)).toEqual(["50%off", "a_b", "ann", "bob"]);
    expect(first.more).toBe(true);
    const second = await usersPage(t.db, a.id, { limit: 4, afterName: "bob" });
    expect(second.users.map((u) => u.userName)).toEqual(["cat", "dan"]);
    expect(second.more).toBe(false);
    expect((await usersPage(t.db, a.id, { q: "%", limit: 10 })).users.map((u) => u.userName)).toEqual([
      "50%off",
    ]);
    expect((await usersPage(t.db, a.id, { q: "_", limit: 10 })).users.map((u) => u.userName)).toEqual([
      "a_b",
    ]);
    expect((await usersPage(t.db, a.id, { q: "BOB", limit: 10 })).users.map((u) => u.userName)).toEqual([
      "bob",
    ]);
  });

  it("finds users by name in their contract only", async () => {
    const a = await makeContract(t.db);
    const b = await makeContract(t.db);
    const mine = await makeUser(t.db, a, "same");
    await makeUser(t.db, b, "same");
    await makeUser(t.db, b, "theirs");
    expect((await userByName(t.db, a.id, "same"))?.id).toBe(mine.id);
    expect(await userByName(t.db, a.id, "theirs")).toBeUndefined();
    expect((await usersByName(t.db, a.id, ["same", "theirs"])).map((u) => u.id)).toEqual([mine.id]);
    expect((await userIdsByName(t.db, a.id, ["same", "theirs"])).map((u) => u.id)).toEqual([mine.id]);
  });

  it("adds links once, removes them by pair, and lists a contract's links by viewer then client", async () => {
    const a = await makeContract(t.db);
    const [v, c1, c2] = [
      await makeUser(t.db, a, "v"),
      await makeUser(t.db, a, "c2"),
      await makeUser(t.db, a, "c1"),
    ];
    const pairs = [
      { viewerUserId: v.id, clientUserId: c1.id },
      { viewerUserId: v.id, clientUserId: c2.id },
    ];
    expect(await addGroupLinks(t.db, a.id, pairs)).toBe(2);
    expect(await addGroupLinks(t.db, a.id, pairs)).toBe(0);
    expect((await groupLinksOf(t.db, a.id)).map((l) => `${l.viewer}>${l.client}`)).toEqual(["v>c1", "v>c2"]);
    const other = await makeContract(t.db);
    expect(await removeGroupLink(t.db, other.id, pairs[0] as (typeof pairs)[0])).toBe(0);
    expect(await removeGroupLink(t.db, a.id, pairs[0] as (typeof pairs)[0])).toBe(1);
    expect((await groupLinksOf(t.db, a.id)).map((l) => `${l.viewer}>${l.client}`)).toEqual(["v>c1"]);
  });

  it("pages a contract's audit log newest first", async () => {
    const a = await makeContract(t.db);
    const b = await makeContract(t.db);
    const [admin] = await t.db
      .insert(adminAccounts)
      .values({ contractId: a.id, serverHost: a.serverHost, loginName: "adm", passwordHash: "x" })
      .returning();
    if (!admin) throw new Error("no admin");
    const entry = (contractId: string, action: string) => ({
      contractId,
      adminId: admin.id,
      adminLoginName: "adm",
      action,
      targetType: "user",
    });
    for (const action of ["one", "two", "three"]) await insertAuditEntry(t.db, entry(a.id, action));
    await insertAuditEntry(t.db, entry(b.id, "elsewhere"));
    const first = await auditPage(t.db, a.id, { limit: 2 });
    expect(first.entries.map((e) => e.action)).toEqual(["three", "two"]);
    expect(first.more).toBe(true);
    const second = await auditPage(t.db, a.id, { limit: 2, beforeId: first.entries.at(-1)?.id });
    expect(second.entries.map((e) => e.action)).toEqual(["one"]);
    expect(second.more).toBe(false);
  });
});
