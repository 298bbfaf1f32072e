import { afterPasswordFailure } from "@tsunagi/core/rules";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { bumpAndReadAttemptState, recordFailedAttempt, resetFailureCounter } from "../src/queries/index.js";
import { activeSessions, users } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser, openLoginSession } from "./helpers.js";

const t = useTestDatabase();

const now = new Date("2026-11-30T00:00:00Z");
const attempt = (userId: string | null, passwordOk: boolean) => ({
  userId,
  passwordOk,
  now,
  staleAfterSeconds: 60,
});
const counter = async (id: string) => {
  const [row] = await t.db
    .select({ count: users.failedCount, lockedUntil: users.lockedUntil })
    .from(users)
    .where(eq(users.id, id));
  return row;
};
const historyCount = async () => {
  const [row] = (await t.db.execute(sql`select count(*)::int as n from access_history`)) as unknown as [
    { n: number },
  ];
  return row.n;
};

describe("the failure counter, bumped atomically (statement 2)", () => {
  it("counts each wrong password, locks at each multiple of the threshold, reads the state after", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "counted");
    const first = await bumpAndReadAttemptState(t.db, attempt(u.id, false));
    expect(first?.prior).toEqual({ count: 0, lockedUntil: null });
    expect(first?.state.user.failedCount).toBe(1);
    expect(first?.state.user.userName).toBe("counted");
    expect(first?.state.contract.id).toBe(c.id);
    expect(first?.state.contract.lockoutThreshold).toBe(5);
    expect(first?.state.user.createdAt).toBeInstanceOf(Date);
    expect(first?.locked).toBe(false);
    for (let i = 0; i < 3; i++) await bumpAndReadAttemptState(t.db, attempt(u.id, false));
    const fifth = await bumpAndReadAttemptState(t.db, attempt(u.id, false));
    const until = new Date(now.getTime() + c.lockoutSeconds * 1000);
    expect(fifth?.prior).toEqual({ count: 4, lockedUntil: null });
    expect(fifth?.locked).toBe(true);
    expect(await counter(u.id)).toEqual({ count: 5, lockedUntil: until });
    // The right password changes nothing; the prior lock is what the rules refuse on.
    const right = await bumpAndReadAttemptState(t.db, attempt(u.id, true));
    expect(right?.prior).toEqual({ count: 5, lockedUntil: until });
    expect(right?.locked).toBe(false);
    expect(await counter(u.id)).toEqual({ count: 5, lockedUntil: until });
  });

  it("mirrors core's afterPasswordFailure, the one statement of the rule, step by step", async () => {
    for (const threshold of [1, 2, 3, 7]) {
      const c = await makeContract(t.db);
      await t.db.execute(sql`update contracts set lockout_threshold = ${threshold} where id = ${c.id}`);
      const u = await makeUser(t.db, c, `mirror.${threshold}`);
      const policy = { threshold, durationSeconds: c.lockoutSeconds };
      let expected = { count: 0, lockedUntil: null as Date | null };
      for (let i = 0; i < 15; i++) {
        const at = new Date(now.getTime() + i * 1000);
        const bumped = await bumpAndReadAttemptState(t.db, { ...attempt(u.id, false), now: at });
        expect(bumped?.prior).toEqual(expected);
        expected = afterPasswordFailure(expected, policy, at);
        expect(await counter(u.id)).toEqual(expected);
        expect(bumped?.locked).toBe(expected.count % threshold === 0);
      }
    }
  });

  it("50 parallel wrong passwords leave the count at 50", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "raced");
    const results = await Promise.all(
      Array.from({ length: 50 }, () => bumpAndReadAttemptState(t.db, attempt(u.id, false))),
    );
    expect((await counter(u.id))?.count).toBe(50);
    // Each saw a distinct prior count: no two decided on the same snapshot.
    expect(new Set(results.map((r) => r?.prior.count)).size).toBe(50);
    expect(results.filter((r) => r?.locked)).toHaveLength(10);
  });

  it("a lock asks the user's live sessions to end, and only a lock does", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "has.session");
    const opened = await openLoginSession(t.db, c, u, "viewer", { startedAt: now });
    expect(opened.opened).toBe(true);
    const requested = async () =>
      (await t.db.select().from(activeSessions).where(eq(activeSessions.userId, u.id)))[0]
        ?.disconnectRequestedAt;
    for (let i = 0; i < 4; i++) await bumpAndReadAttemptState(t.db, attempt(u.id, false));
    expect(await requested()).toBeNull();
    await bumpAndReadAttemptState(t.db, attempt(u.id, false));
    expect(await requested()).toEqual(now);
  });

  it("an unknown user: the same statement, matching nothing", async () => {
    expect(await bumpAndReadAttemptState(t.db, attempt(null, false))).toBeNull();
  });

  it("a success resets the counter, unless a failure was counted since it was read", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "reset");
    await bumpAndReadAttemptState(t.db, attempt(u.id, false));
    await bumpAndReadAttemptState(t.db, attempt(u.id, false));
    await resetFailureCounter(t.db, u.id, 1);
    expect((await counter(u.id))?.count).toBe(2);
    await resetFailureCounter(t.db, u.id, 2);
    expect(await counter(u.id)).toEqual({ count: 0, lockedUntil: null });
  });
});

describe("the failed attempt's row (statement 3)", () => {
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
