import { afterPasswordFailure } from "@tsunagi/core/rules";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recordFailedAttempt, resetFailureCounter } from "../src/queries/index.js";
import { accessHistory, activeSessions } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { attemptHelpers, makeContract, makeUser, openLoginSession } from "./helpers.js";

const t = useTestDatabase();

const { now, mismatch, success, settle, fingerprintOf, counter } = attemptHelpers(t);
const rowsOf = (userId: string) => t.db.select().from(accessHistory).where(eq(accessHistory.userId, userId));
const openLoginSessionCount = async (userId: string) =>
  (await t.db.select().from(activeSessions).where(eq(activeSessions.userId, userId))).length;
const historyCount = async () => {
  const [row] = (await t.db.execute(sql`select count(*)::int as n from access_history`)) as unknown as [
    { n: number },
  ];
  return row.n;
};

describe("the failure counter, counted atomically with the lockout decided after the hash (statement 2)", () => {
  it("mirrors core's afterPasswordFailure step by step, deciding the lockout on the row after the hash", async () => {
    for (const threshold of [1, 3]) {
      const c = await makeContract(t.db);
      await t.db.execute(sql`update contracts set lockout_threshold = ${threshold} where id = ${c.id}`);
      const u = await makeUser(t.db, c, `mirror.${threshold}`);
      const fingerprint = await fingerprintOf(c, u.userName);
      const policy = { threshold, durationSeconds: c.lockoutSeconds };
      let expected = { count: 0, lockedUntil: null as Date | null };
      for (let i = 0; i < 7; i++) {
        const at = new Date(now.getTime() + i * 1000);
        const settled = await settle(u, fingerprint, false, mismatch, at);
        const locked = expected.lockedUntil !== null && expected.lockedUntil > at;
        expect(settled?.outcome).toBe(locked ? "locked" : "failure");
        expected = afterPasswordFailure(expected, policy, at);
        expect(await counter(u.id)).toEqual(expected);
      }
    }
  });

  it("50 parallel wrong passwords, all read before any counted: a count of 50, the lock decided after the hash", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "raced");
    const fingerprint = await fingerprintOf(c, "raced");
    const results = await Promise.all(
      Array.from({ length: 50 }, () => settle(u, fingerprint, false, mismatch)),
    );
    expect((await counter(u.id))?.count).toBe(50);
    // The default threshold is 5: the first five are wrong passwords, the 45 after them find the lock.
    expect(results.filter((r) => r?.outcome === "failure")).toHaveLength(5);
    expect(results.filter((r) => r?.outcome === "locked")).toHaveLength(45);
    expect(await rowsOf(u.id)).toHaveLength(50);
  });

  it("a lock asks the user's live sessions to end; the right password while locked is locked out, uncounted", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "has.session");
    await openLoginSession(t.db, c, u, "viewer", { startedAt: now });
    const fingerprint = await fingerprintOf(c, "has.session");
    const requested = async () =>
      (await t.db.select().from(activeSessions).where(eq(activeSessions.userId, u.id)))[0]
        ?.disconnectRequestedAt;
    for (let i = 0; i < 4; i++) await settle(u, fingerprint, false, mismatch);
    expect(await requested()).toBeNull();
    await settle(u, fingerprint, false, mismatch);
    expect(await requested()).toEqual(now);
    const right = await settle(u, fingerprint, true, success);
    expect(right?.outcome).toBe("locked");
    expect((await counter(u.id))?.count).toBe(5);
    expect(await openLoginSessionCount(u.id)).toBe(1);
  });

  it("an unknown user: the same statement, matching nothing", async () => {
    const before = await t.db.select({ n: sql<number>`count(*)::int` }).from(accessHistory);
    expect(await settle(null, null, false, mismatch)).toBeNull();
    expect(await t.db.select({ n: sql<number>`count(*)::int` }).from(accessHistory)).toEqual(before);
  });

  it("a success resets the counter, unless a failure was counted since it was read", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "reset");
    await settle(u, null, false, { kind: "defer" });
    await settle(u, null, false, { kind: "defer" });
    await resetFailureCounter(t.db, u.id, 1);
    expect((await counter(u.id))?.count).toBe(2);
    await resetFailureCounter(t.db, u.id, 2);
    expect(await counter(u.id)).toEqual({ count: 0, lockedUntil: null });
  });
});

describe("the failed attempt's row after a re-read", () => {
  it("records the row, or for an unknown user runs the same insert recording nothing", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "row");
    const before = await historyCount();
    await recordFailedAttempt(t.db, null, { role: "viewer" });
    expect(await historyCount()).toBe(before);
    await recordFailedAttempt(
      t.db,
      {
        contractId: c.id,
        userId: u.id,
        userName: u.userName,
        role: "client",
        result: "failure",
        reasonKey: "password-mismatch-client",
        reasonCode: 110200,
        mac: "invalid",
        startedAt: now,
      },
      { role: "client" },
    );
    expect(await historyCount()).toBe(before + 1);
  });
});
