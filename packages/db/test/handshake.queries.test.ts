import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  closeSession,
  findUserForAttempt,
  openSessionOf,
  readAttemptState,
  recordSuccessAndOpenSession,
  registerDevice,
  sessionsOfUser,
} from "../src/queries/index.js";
import { accessHistory, activeSessions, groupLinks } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser, openLoginSession } from "./helpers.js";

const t = useTestDatabase();

/** Statement 1 of an attempt: the state the rules decide on, or null. */
async function stateAfterHash(serverHost: string, userName: string, staleAfterSeconds: number) {
  return (await readAttemptState(t.db, serverHost, userName, staleAfterSeconds))?.state ?? null;
}

const identity = (n: number) => ({ machineId: `m${n}`, osUser: `u${n}`, installPublicKey: `k${n}` });

describe("the relay's handshake queries", () => {
  it("reads the password hash and the IP allow-lists, and nothing for an unknown name", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "hash.only");
    expect((await stateAfterHash(c.serverHost, "hash.only", 60))?.user).toMatchObject({
      id: u.id,
      passwordHash: u.passwordHash,
      ipAllowViewer: null,
      ipAllowClient: null,
    });
    expect(await stateAfterHash(c.serverHost, "nobody", 60)).toBeNull();
    expect(await stateAfterHash("other-server", "hash.only", 60)).toBeNull();
  });

  it("statement 1 reads in one statement what findUserForAttempt and sessionsOfUser read", async () => {
    const c = await makeContract(t.db);
    const viewer = await makeUser(t.db, c, "state.viewer");
    const clientA = await makeUser(t.db, c, "state.a");
    const clientB = await makeUser(t.db, c, "state.b");
    await t.db.insert(groupLinks).values([
      { contractId: c.id, viewerUserId: viewer.id, clientUserId: clientB.id },
      { contractId: c.id, viewerUserId: viewer.id, clientUserId: clientA.id },
    ]);
    await registerDevice(t.db, viewer.id, "pc", identity(1));
    await registerDevice(t.db, viewer.id, "mobile", identity(2));
    const opened = await openLoginSession(t.db, c, viewer, "viewer");
    expect(opened.opened).toBe(true);

    const state = await stateAfterHash(c.serverHost, "state.viewer", 60);
    const reference = await findUserForAttempt(t.db, c.serverHost, "state.viewer");
    if (!state || !reference) throw new Error("not found");
    expect(state.user).toEqual(reference.user);
    expect(state.contract).toEqual(reference.contract);
    const bySlot = (a: { slot: string }, b: { slot: string }) => a.slot.localeCompare(b.slot);
    expect([...state.registrations].sort(bySlot)).toEqual([...reference.registrations].sort(bySlot));
    expect(state.registrations[0]?.registeredAt).toBeInstanceOf(Date);
    expect([...state.linkedClients].sort()).toEqual([...reference.linkedClients].sort());
    const sessions = await sessionsOfUser(t.db, viewer.id, 60);
    expect(state.sessions).toEqual(sessions.map((s) => ({ id: s.id, role: s.role, stale: s.stale })));

    await t.db
      .update(activeSessions)
      .set({ lastHeartbeatAt: sql`now() - interval '90 seconds'` })
      .where(eq(activeSessions.userId, viewer.id));
    expect((await stateAfterHash(c.serverHost, "state.viewer", 60))?.sessions.map((s) => s.stale)).toEqual([
      true,
    ]);
    expect((await stateAfterHash(c.serverHost, "state.viewer", 120))?.sessions.map((s) => s.stale)).toEqual([
      false,
    ]);

    const bare = await stateAfterHash(c.serverHost, "state.a", 60);
    expect(bare).toMatchObject({ registrations: [], linkedClients: [], sessions: [] });
    expect(await stateAfterHash(c.serverHost, "nobody", 60)).toBeNull();
  });

  it("records the success row and opens its lease together, each naming the other", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "open.together");
    const startedAt = new Date("2026-01-02T03:04:05.678Z");
    const opened = await recordSuccessAndOpenSession(
      t.db,
      {
        contractId: c.id,
        userId: u.id,
        userName: u.userName,
        role: "viewer",
        result: "success",
        startedAt,
        sourceAddress: "10.0.0.1",
        mac: "00:11:22:33:44:55",
        product: "terminal-ndl-s",
        edition: "plus",
        peerUserName: "target.client",
      },
      {
        contractId: c.id,
        userId: u.id,
        userName: u.userName,
        role: "viewer",
        sourceAddress: "10.0.0.1",
        relayInstance: "relay-1",
        peerUserName: "target.client",
      },
      { reasonKey: "duplicate-viewer", reasonCode: 30100 },
    );
    if (!opened.opened) throw new Error("not opened");
    const [row] = await t.db.select().from(accessHistory).where(eq(accessHistory.id, opened.historyId));
    expect(row).toMatchObject({
      result: "success",
      reasonKey: null,
      reasonCode: null,
      endedAt: null,
      startedAt,
      sessionId: opened.sessionId,
      sourceAddress: "10.0.0.1",
      mac: "00:11:22:33:44:55",
      product: "terminal-ndl-s",
      edition: "plus",
      peerUserName: "target.client",
      userName: "open.together",
      role: "viewer",
    });
    expect(await openSessionOf(t.db, u.id, "viewer")).toMatchObject({
      id: opened.sessionId,
      historyId: opened.historyId,
      relayInstance: "relay-1",
      sourceAddress: "10.0.0.1",
      peerUserName: "target.client",
    });
    // The other role is free.
    const client = await openLoginSession(t.db, c, u, "client", { startedAt });
    expect(client.opened).toBe(true);

    // Closing ends the row, in one statement.
    expect(await closeSession(t.db, opened.sessionId)).toBe(true);
    expect(await closeSession(t.db, opened.sessionId)).toBe(false);
    const [ended] = await t.db.select().from(accessHistory).where(eq(accessHistory.id, opened.historyId));
    expect(ended?.endedAt).toBeInstanceOf(Date);
    expect(await openSessionOf(t.db, u.id, "viewer")).toBeNull();
  });

  it("lets exactly one of many racing logins open; each other one is one failure row", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "racing");
    const startedAt = new Date();
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        recordSuccessAndOpenSession(
          t.db,
          {
            contractId: c.id,
            userId: u.id,
            userName: u.userName,
            role: "viewer",
            result: "success",
            startedAt,
            peerUserName: "racing",
          },
          {
            contractId: c.id,
            userId: u.id,
            userName: u.userName,
            role: "viewer",
            sourceAddress: null,
            relayInstance: "r",
          },
          { reasonKey: "duplicate-viewer", reasonCode: 30100 },
        ),
      ),
    );
    expect(results.filter((r) => r.opened)).toHaveLength(1);
    const rows = await t.db.select().from(accessHistory).where(eq(accessHistory.userId, u.id));
    expect(rows).toHaveLength(30);
    const failures = rows.filter((r) => r.result === "failure");
    expect(failures).toHaveLength(29);
    for (const f of failures) {
      expect(f).toMatchObject({
        reasonKey: "duplicate-viewer",
        reasonCode: 30100,
        sessionId: null,
        peerUserName: null,
      });
      expect(f.endedAt?.getTime()).toBe(startedAt.getTime());
    }
    const sessions = await t.db.select().from(activeSessions).where(eq(activeSessions.userId, u.id));
    expect(sessions).toHaveLength(1);
    expect(rows.find((r) => r.result === "success")?.sessionId).toBe(sessions[0]?.id);
  });
});
