import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { historyPage, historyRows, recordAttempt } from "../src/queries/index.js";
import { createTestDatabase, type TestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser } from "./helpers.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

const at = (s: string) => new Date(`2026-11-15T${s}+09:00`);

describe("access history", () => {
  it("pages newest first by keyset, filters, and sums each user's connection time over the filter", async () => {
    const c = await makeContract(t.db);
    const other = await makeContract(t.db);
    const u1 = await makeUser(t.db, c, "user1");
    const u2 = await makeUser(t.db, c, "user2");
    const base = { contractId: c.id, role: "viewer" as const };
    await recordAttempt(t.db, {
      ...base,
      userId: u1.id,
      userName: "user1",
      result: "failure",
      reasonKey: "password-mismatch-viewer",
      reasonCode: 110200,
      startedAt: at("10:16:55"),
      endedAt: at("10:16:55"),
    });
    await recordAttempt(t.db, {
      ...base,
      userId: u1.id,
      userName: "user1",
      result: "success",
      startedAt: at("10:17:00"),
      endedAt: at("10:29:23"),
    });
    await recordAttempt(t.db, {
      ...base,
      userId: u1.id,
      userName: "user1",
      result: "info",
      reasonKey: "terminal-auth-registered",
      reasonCode: 200200,
      startedAt: at("10:36:47"),
      endedAt: at("10:36:47"),
    });
    await recordAttempt(t.db, {
      ...base,
      userId: u1.id,
      userName: "user1",
      result: "success",
      startedAt: at("10:36:48"),
      endedAt: at("10:58:01"),
    });
    await recordAttempt(t.db, {
      ...base,
      role: "client",
      userId: u2.id,
      userName: "user2",
      result: "success",
      startedAt: at("09:00:00"),
      endedAt: at("10:00:00"),
    });
    await recordAttempt(t.db, {
      contractId: other.id,
      userName: "user1",
      role: "viewer",
      result: "success",
      startedAt: at("11:00:00"),
      endedAt: at("12:00:00"),
    });

    const all = await historyPage(t.db, c.id, {}, { limit: 10 });
    expect(all.rows.map((r) => r.startedAt.toISOString())).toEqual(
      ["10:36:48", "10:36:47", "10:17:00", "10:16:55", "09:00:00"].map((s) => at(s).toISOString()),
    );
    expect(all.users).toEqual([
      { userName: "user1", connectedSeconds: 33 * 60 + 36 },
      { userName: "user2", connectedSeconds: 3600 },
    ]);
    expect(all.nextCursor).toBeNull();

    const failures = await historyPage(t.db, c.id, { result: "failure" }, { limit: 10 });
    expect(failures.rows.map((r) => r.reasonCode)).toEqual([200200, 110200]);
    // The cumulative time is the user's, not just of the failure rows on the page.
    expect(failures.users).toEqual([{ userName: "user1", connectedSeconds: 2016 }]);

    const clients = await historyPage(t.db, c.id, { role: "client" }, { limit: 10 });
    expect(clients.rows.map((r) => r.userName)).toEqual(["user2"]);

    const first = await historyPage(t.db, c.id, { userName: "user1" }, { limit: 3 });
    expect(first.rows).toHaveLength(3);
    const second = await historyPage(
      t.db,
      c.id,
      { userName: "user1" },
      { limit: 3, cursor: first.nextCursor },
    );
    expect(second.rows.map((r) => r.startedAt.toISOString())).toEqual([at("10:16:55").toISOString()]);
    expect(second.nextCursor).toBeNull();

    const period = await historyPage(t.db, c.id, { from: at("10:17:00"), to: at("10:36:48") }, { limit: 10 });
    expect(period.rows).toHaveLength(2);

    const streamed = [];
    for await (const row of historyRows(t.db, c.id, {}, 2)) streamed.push(row.id);
    expect(streamed).toEqual(all.rows.map((r) => r.id));
  });

  it("keeps rows with equal start times apart by id across pages", async () => {
    const c = await makeContract(t.db);
    const same = at("12:00:00");
    for (let i = 0; i < 7; i++) {
      await recordAttempt(t.db, {
        contractId: c.id,
        userName: `u${i}`,
        role: "viewer",
        result: "failure",
        startedAt: same,
        endedAt: same,
      });
    }
    const seen: number[] = [];
    let cursor = null;
    do {
      const page: Awaited<ReturnType<typeof historyPage>> = await historyPage(
        t.db,
        c.id,
        {},
        { limit: 3, cursor },
      );
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });
});
