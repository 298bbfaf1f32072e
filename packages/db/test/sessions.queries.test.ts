import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  closeSession,
  expireStaleSessions,
  heartbeat,
  openSession,
  recordAttempt,
} from "../src/queries/index.js";
import { accessHistory, activeSessions } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser } from "./helpers.js";

const t = useTestDatabase();

async function attempt(contractId: string, userId: string, userName: string) {
  return recordAttempt(t.db, { contractId, userId, userName, role: "viewer", result: "success" });
}

describe("session leases", () => {
  it("lets exactly one of many racing opens for one user and role in", async () => {
    const contract = await makeContract(t.db);
    const user = await makeUser(t.db, contract, "racer");
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const row = await attempt(contract.id, user.id, user.userName);
        return openSession(t.db, {
          contractId: contract.id,
          userId: user.id,
          userName: user.userName,
          role: "viewer",
          sourceAddress: "127.0.0.1",
          relayInstance: "test",
          historyId: row.id,
        });
      }),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const open = await t.db.select().from(activeSessions).where(eq(activeSessions.userId, user.id));
    expect(open).toHaveLength(1);
    // A client session of the same user is a different lease.
    const row = await attempt(contract.id, user.id, user.userName);
    const client = await openSession(t.db, {
      contractId: contract.id,
      userId: user.id,
      userName: user.userName,
      role: "client",
      sourceAddress: null,
      relayInstance: "test",
      historyId: row.id,
    });
    expect(client?.role).toBe("client");
  });

  it("takes over a stale session and ends its history row at the last heartbeat", async () => {
    const contract = await makeContract(t.db);
    const user = await makeUser(t.db, contract, "stale");
    const first = await attempt(contract.id, user.id, user.userName);
    const open = {
      contractId: contract.id,
      userId: user.id,
      userName: user.userName,
      role: "viewer" as const,
      sourceAddress: null,
      relayInstance: "a",
    };
    const s1 = await openSession(t.db, { ...open, historyId: first.id });
    expect(s1).not.toBeNull();
    const second = await attempt(contract.id, user.id, user.userName);
    expect(await openSession(t.db, { ...open, historyId: second.id })).toBeNull();

    const lastBeat = new Date(Date.now() - 61_000);
    await t.db
      .update(activeSessions)
      .set({ lastHeartbeatAt: lastBeat })
      .where(eq(activeSessions.id, s1?.id ?? ""));
    const s2 = await openSession(t.db, { ...open, historyId: second.id });
    expect(s2?.historyId).toBe(second.id);
    const [old] = await t.db.select().from(accessHistory).where(eq(accessHistory.id, first.id));
    expect(old?.endedAt?.getTime()).toBe(lastBeat.getTime());
    expect(await heartbeat(t.db, s1?.id ?? "")).toEqual({ alive: false });
    expect(await heartbeat(t.db, s2?.id ?? "")).toEqual({ alive: true, disconnectRequested: false });
  });

  it("closes a session: the lease goes and the history row gets its end time", async () => {
    const contract = await makeContract(t.db);
    const user = await makeUser(t.db, contract, "closer");
    const row = await attempt(contract.id, user.id, user.userName);
    const s = await openSession(t.db, {
      contractId: contract.id,
      userId: user.id,
      userName: user.userName,
      role: "client",
      sourceAddress: null,
      relayInstance: "a",
      historyId: row.id,
    });
    expect(await closeSession(t.db, s?.id ?? "")).toBe(true);
    expect(await closeSession(t.db, s?.id ?? "")).toBe(false);
    const [ended] = await t.db.select().from(accessHistory).where(eq(accessHistory.id, row.id));
    expect(ended?.endedAt).toBeInstanceOf(Date);
  });

  it("expires only sessions past the stale window", async () => {
    const contract = await makeContract(t.db);
    const fresh = await makeUser(t.db, contract, "fresh");
    const gone = await makeUser(t.db, contract, "gone");
    for (const u of [fresh, gone]) {
      const row = await attempt(contract.id, u.id, u.userName);
      await openSession(t.db, {
        contractId: contract.id,
        userId: u.id,
        userName: u.userName,
        role: "viewer",
        sourceAddress: null,
        relayInstance: "a",
        historyId: row.id,
      });
    }
    await t.db
      .update(activeSessions)
      .set({ lastHeartbeatAt: sql`now() - interval '2 minutes'` })
      .where(eq(activeSessions.userId, gone.id));
    expect(await expireStaleSessions(t.db)).toBe(1);
    const left = await t.db.select().from(activeSessions).where(eq(activeSessions.contractId, contract.id));
    expect(left.map((s) => s.userName)).toEqual(["fresh"]);
    const goneRows = await t.db.select().from(accessHistory).where(eq(accessHistory.userId, gone.id));
    expect(goneRows.every((r) => r.endedAt !== null)).toBe(true);
  });
});
