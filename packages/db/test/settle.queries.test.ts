/**
 * The relay's two round trips per attempt (handshake.ts): `readAttemptState` before the verification
 * and `settleAttempt` after it — the relay's decision written only when the account is as it was read,
 * and a success's lease decided by the unique index under racing logins. The counting and the lockout
 * decision: lockout.queries.test.ts.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  findUserForAttempt,
  readAttemptState,
  registerDevice,
  sessionsOfUser,
} from "../src/queries/index.js";
import { accessHistory, activeSessions, groupLinks, users } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { attemptHelpers, makeContract, makeUser, openLoginSession } from "./helpers.js";

const t = useTestDatabase();

const { now, mismatch, success, settle, fingerprintOf, counter } = attemptHelpers(t);
const rowsOf = (userId: string) =>
  t.db
    .select({
      result: accessHistory.result,
      reasonKey: accessHistory.reasonKey,
      sessionId: accessHistory.sessionId,
    })
    .from(accessHistory)
    .where(eq(accessHistory.userId, userId));

describe("round trip 1: readAttemptState", () => {
  it("reads what findUserForAttempt and sessionsOfUser read, in one statement; nothing for an unknown name", async () => {
    const c = await makeContract(t.db);
    const viewer = await makeUser(t.db, c, "read.viewer");
    const client = await makeUser(t.db, c, "read.client");
    await t.db
      .insert(groupLinks)
      .values({ contractId: c.id, viewerUserId: viewer.id, clientUserId: client.id });
    await registerDevice(t.db, viewer.id, "pc", { machineId: "m", osUser: "o", installPublicKey: "k" });
    await openLoginSession(t.db, c, viewer, "viewer");
    const read = await readAttemptState(t.db, c.serverHost, "read.viewer", 60);
    const expected = await findUserForAttempt(t.db, c.serverHost, "read.viewer");
    expect(read?.state.user).toEqual(expected?.user);
    expect(read?.state.contract).toEqual(expected?.contract);
    expect(read?.state.registrations).toEqual(expected?.registrations);
    expect(read?.state.linkedClients).toEqual(["read.client"]);
    expect(read?.state.sessions).toEqual(
      (await sessionsOfUser(t.db, viewer.id, 60)).map(({ id, role, stale }) => ({ id, role, stale })),
    );
    expect(await readAttemptState(t.db, c.serverHost, "nobody", 60)).toBeNull();
    expect(await readAttemptState(t.db, "other-server", "read.viewer", 60)).toBeNull();
  });

  it("keeps its fingerprint through the counter's changes, not through the account's", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "print");
    const first = await fingerprintOf(c, "print");
    await t.db.update(users).set({ failedCount: 3, lockedUntil: now }).where(eq(users.id, u.id));
    expect(await fingerprintOf(c, "print")).toBe(first);
    await openLoginSession(t.db, c, u, "client");
    const withSession = await fingerprintOf(c, "print");
    expect(withSession).not.toBe(first);
    await t.db
      .update(users)
      .set({ ipAllowClient: ["192.0.2.0/24"] })
      .where(eq(users.id, u.id));
    expect(await fingerprintOf(c, "print")).not.toBe(withSession);
  });
});

describe("round trip 2: settleAttempt", () => {
  it("records the relay's failure and counts a wrong password", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "wrong");
    const settled = await settle(u, await fingerprintOf(c, "wrong"), false, mismatch);
    expect(settled?.outcome).toBe("failure");
    expect(await counter(u.id)).toEqual({ count: 1, lockedUntil: null });
    expect(await rowsOf(u.id)).toEqual([
      { result: "failure", reasonKey: "password-mismatch-client", sessionId: null },
    ]);
  });

  it("writes nothing when the account changed since round trip 1, but counts", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "changed");
    const fingerprint = await fingerprintOf(c, "changed");
    await openLoginSession(t.db, c, u, "viewer");
    const before = (await rowsOf(u.id)).length;
    const settled = await settle(u, fingerprint, false, mismatch);
    expect(settled).toEqual({ outcome: "changed", prior: { count: 0, lockedUntil: null } });
    expect(await counter(u.id)).toEqual({ count: 1, lockedUntil: null });
    expect(await rowsOf(u.id)).toHaveLength(before);
    expect(await settle(u, await fingerprintOf(c, "changed"), true, { kind: "defer" })).toEqual({
      outcome: "defer",
      prior: { count: 1, lockedUntil: null },
    });
  });

  it("a success opens the lease with its row and resets the counter", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "ok");
    await settle(u, await fingerprintOf(c, "ok"), false, mismatch);
    const settled = await settle(u, await fingerprintOf(c, "ok"), true, success);
    expect(settled?.outcome).toBe("success");
    if (settled?.outcome !== "success") return;
    expect(await counter(u.id)).toEqual({ count: 0, lockedUntil: null });
    const [lease] = await t.db.select().from(activeSessions).where(eq(activeSessions.userId, u.id));
    expect(lease).toMatchObject({ id: settled.sessionId, historyId: settled.historyId, relayInstance: "r" });
    expect(await rowsOf(u.id)).toContainEqual({
      result: "success",
      reasonKey: null,
      sessionId: settled.sessionId,
    });
  });

  it("10 racing successes read on the same state: exactly one lease, each other one a duplicate row", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "racing");
    const fingerprint = await fingerprintOf(c, "racing");
    const results = await Promise.all(
      Array.from({ length: 10 }, () => settle(u, fingerprint, true, success)),
    );
    expect(results.filter((r) => r?.outcome === "success")).toHaveLength(1);
    expect(await openLoginSessionCount(u.id)).toBe(1);
    const rows = await rowsOf(u.id);
    expect(rows.filter((r) => r.result === "success")).toHaveLength(1);
    // The rest lost the lease (a row each) or saw it in their fingerprint (nothing written, decided again).
    const lost = results.filter((r) => r?.outcome === "lost").length;
    expect(rows.filter((r) => r.reasonKey === "duplicate-client")).toHaveLength(lost);
    expect(lost + results.filter((r) => r?.outcome === "changed").length).toBe(9);
  });
});

async function openLoginSessionCount(userId: string): Promise<number> {
  return (await t.db.select().from(activeSessions).where(eq(activeSessions.userId, userId))).length;
}
