import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  attachSession,
  failRecordedAttempt,
  openSession,
  openSessionOf,
  recordAttempt,
  sessionsOfUser,
  setSessionPeer,
} from "../src/queries/index.js";
import { accessHistory, activeSessions } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser } from "./helpers.js";

const t = useTestDatabase();

describe("the relay's attempt bookkeeping", () => {
  it("attaches a session, names its peer on lease and row, and reports staleness", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "paired");
    const row = await recordAttempt(t.db, {
      contractId: c.id,
      userId: u.id,
      userName: u.userName,
      role: "client",
      result: "success",
    });
    const s = await openSession(t.db, {
      contractId: c.id,
      userId: u.id,
      userName: u.userName,
      role: "client",
      sourceAddress: null,
      relayInstance: "r",
      historyId: row.id,
    });
    if (!s) throw new Error("no session");
    await attachSession(t.db, row.id, s.id);
    await setSessionPeer(t.db, s.id, "viewer.user");
    const [history] = await t.db.select().from(accessHistory).where(eq(accessHistory.id, row.id));
    expect(history).toMatchObject({ sessionId: s.id, peerUserName: "viewer.user" });
    expect((await openSessionOf(t.db, u.id, "client"))?.peerUserName).toBe("viewer.user");
    expect(await openSessionOf(t.db, u.id, "viewer")).toBeNull();

    expect((await sessionsOfUser(t.db, u.id, 60)).map((x) => x.stale)).toEqual([false]);
    await t.db.update(activeSessions).set({ lastHeartbeatAt: sql`now() - interval '90 seconds'` });
    expect((await sessionsOfUser(t.db, u.id, 60)).map((x) => x.stale)).toEqual([true]);
  });

  it("turns a success that lost its lease race into a failure ending where it started", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "loser");
    const row = await recordAttempt(t.db, {
      contractId: c.id,
      userId: u.id,
      userName: u.userName,
      role: "viewer",
      result: "success",
    });
    await failRecordedAttempt(t.db, row.id, "duplicate-viewer", 30100);
    const [after] = await t.db.select().from(accessHistory).where(eq(accessHistory.id, row.id));
    expect(after).toMatchObject({ result: "failure", reasonKey: "duplicate-viewer", reasonCode: 30100 });
    expect(after?.endedAt?.getTime()).toBe(after?.startedAt.getTime());
  });
});
