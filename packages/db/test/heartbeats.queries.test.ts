import { inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection } from "../src/client.js";
import { advanceAccessEpoch, closeSession, heartbeatMany, requestSessionEnd } from "../src/queries/index.js";
import { activeSessions } from "../src/schema/index.js";
import { connectCountingStatements, useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser, openLoginSession } from "./helpers.js";

const t = useTestDatabase();
let counting: Connection;
/** Every statement sent on the counting pool, as its text. */
const statements: string[] = [];

beforeAll(async () => {
  counting = connectCountingStatements(t.url, (text) => statements.push(text));
  // A first connection reads the server's array types; leave that out of what is counted.
  await counting.db.execute(sql`select 1`);
});
afterAll(async () => {
  await counting.close();
});

describe("a relay's heartbeat over many sessions", () => {
  it("renews every lease in one statement and says which must end and which are gone", async () => {
    const contract = await makeContract(t.db);
    const sessions: string[] = [];
    for (let i = 0; i < 12; i++) {
      const user = await makeUser(t.db, contract, `beat${i}`);
      const opened = await openLoginSession(t.db, contract, user, i % 2 === 0 ? "viewer" : "client");
      if (!opened.opened) throw new Error("not opened");
      sessions.push(opened.sessionId);
    }
    const [asked, behind, gone, ...carryOn] = sessions as [string, string, string, ...string[]];
    const [behindUser] = await t.db
      .select({ userId: activeSessions.userId })
      .from(activeSessions)
      .where(inArray(activeSessions.id, [behind]));
    expect(await requestSessionEnd(t.db, contract.id, [asked], new Date())).toBe(1);
    // A change the `behind` session's login did not see: its user's epoch moves past its lease's.
    await advanceAccessEpoch(t.db, contract.id, [behindUser?.userId ?? ""], []);
    expect(await closeSession(t.db, gone)).toBe(true);
    // Every lease last renewed an hour ago, so a renewal shows.
    await t.db.update(activeSessions).set({ lastHeartbeatAt: sql`now() - interval '1 hour'` });

    const from = statements.length;
    const states = await heartbeatMany(counting.db, sessions);
    expect(statements.slice(from)).toHaveLength(1);

    expect(states.get(asked)).toEqual({ alive: true, disconnectRequested: true });
    expect(states.get(behind)).toEqual({ alive: true, disconnectRequested: true });
    expect(states.get(gone)).toEqual({ alive: false });
    for (const id of carryOn) expect(states.get(id)).toEqual({ alive: true, disconnectRequested: false });
    expect(states.size).toBe(sessions.length);

    const renewed = await t.db
      .select({
        id: activeSessions.id,
        recent: sql<boolean>`${activeSessions.lastHeartbeatAt} > now() - interval '1 minute'`,
      })
      .from(activeSessions)
      .where(inArray(activeSessions.id, sessions));
    expect(renewed.map((r) => r.id).sort()).toEqual(sessions.filter((id) => id !== gone).sort());
    expect(renewed.every((r) => r.recent)).toBe(true);
  });

  it("costs no statement when the relay holds no session", async () => {
    const from = statements.length;
    expect((await heartbeatMany(counting.db, [])).size).toBe(0);
    expect(statements.slice(from)).toEqual([]);
  });
});
