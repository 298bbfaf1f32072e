import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  advanceAccessEpoch,
  heartbeat,
  heartbeatMany,
  liveSessionsOf,
  openSession,
  readAttemptState,
  recordAttempt,
  requestSessionEnd,
} from "../src/queries/index.js";
import { activeSessions } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser, openLoginSession } from "./helpers.js";

const t = useTestDatabase();

async function open(
  contract: { id: string },
  user: { id: string; userName: string },
  role: "viewer" | "client",
  extra: { mac?: string; product?: "terminal-ndl-s" | "mobile-ios"; accessEpoch?: number } = {},
) {
  const row = await recordAttempt(t.db, {
    contractId: contract.id,
    userId: user.id,
    userName: user.userName,
    role,
    result: "success",
    mac: extra.mac ?? null,
    product: extra.product ?? null,
  });
  const session = await openSession(t.db, {
    contractId: contract.id,
    userId: user.id,
    userName: user.userName,
    role,
    sourceAddress: "192.0.2.7",
    relayInstance: "test",
    historyId: row.id,
    ...(extra.accessEpoch === undefined ? {} : { accessEpoch: extra.accessEpoch }),
  });
  if (!session) throw new Error("no session");
  return session;
}

describe("requesting the end of sessions", () => {
  it("lists a user's live sessions with what their admission rested on", async () => {
    const contract = await makeContract(t.db);
    const user = await makeUser(t.db, contract, "listed");
    const viewer = await open(contract, user, "viewer", { product: "mobile-ios", mac: "00:1b:44:11:3a:b7" });
    const client = await open(contract, user, "client");
    const live = await liveSessionsOf(t.db, contract.id, [user.id]);
    expect(live.sort((a, b) => a.role.localeCompare(b.role))).toEqual([
      {
        id: client.id,
        userId: user.id,
        role: "client",
        sourceAddress: "192.0.2.7",
        product: null,
        mac: null,
      },
      {
        id: viewer.id,
        userId: user.id,
        role: "viewer",
        sourceAddress: "192.0.2.7",
        product: "mobile-ios",
        mac: "00:1b:44:11:3a:b7",
      },
    ]);
  });

  it("marks only sessions of the given contract, once; the holder's heartbeat then sees the request", async () => {
    const contract = await makeContract(t.db);
    const other = await makeContract(t.db);
    const user = await makeUser(t.db, contract, "revoked");
    const stranger = await makeUser(t.db, other, "stranger");
    const mine = await open(contract, user, "viewer");
    const theirs = await open(other, stranger, "viewer");
    expect(await requestSessionEnd(t.db, contract.id, [mine.id, theirs.id], new Date())).toBe(1);
    expect(await heartbeat(t.db, mine.id)).toEqual({ alive: true, disconnectRequested: true });
    expect(await heartbeat(t.db, theirs.id)).toEqual({ alive: true, disconnectRequested: false });
    // Asked once: a second request counts nothing, and the session is no longer listed as live.
    expect(await requestSessionEnd(t.db, contract.id, [mine.id], new Date())).toBe(0);
    expect(await liveSessionsOf(t.db, contract.id, [user.id])).toEqual([]);
    expect(await requestSessionEnd(t.db, contract.id, [], new Date())).toBe(0);
  });
});

describe("a login that read the account just before a change that takes access away", () => {
  it("opens its lease after the change's transaction read the live sessions: its first heartbeat ends it", async () => {
    const contract = await makeContract(t.db);
    const user = await makeUser(t.db, contract, "racer");
    // A login's read of the account (the relay's statement 1, or its re-read): what the rules judge.
    const read = await readAttemptState(t.db, contract.serverHost, user.userName, 60);
    if (!read) throw new Error("no state");
    // The account manager's change commits: it found no live session to judge.
    await t.db.transaction(async (tx) => {
      await requestSessionEnd(tx as never, contract.id, [], new Date());
      await advanceAccessEpoch(tx as never, contract.id, [user.id], []);
    });
    // The lease, on the epoch the rules decided on (as a re-decided login opens it).
    const opened = await openLoginSession(t.db, contract, user, "viewer", {
      lease: { sourceAddress: "192.0.2.7", relayInstance: "test", accessEpoch: read.state.user.accessEpoch },
    });
    if (!opened.opened) throw new Error("not opened");
    expect(await heartbeat(t.db, opened.sessionId)).toEqual({ alive: true, disconnectRequested: true });
  });

  it("carries the sessions the change judged to keep onto the new epoch, and only those on the current one", async () => {
    const contract = await makeContract(t.db);
    const user = await makeUser(t.db, contract, "keeper");
    const kept = await open(contract, user, "client");
    const behind = await open(contract, user, "viewer");
    // A first change leaves the viewer behind (as a lease committed after it read the sessions would be).
    await advanceAccessEpoch(t.db, contract.id, [user.id], [kept.id]);
    expect(await heartbeat(t.db, kept.id)).toEqual({ alive: true, disconnectRequested: false });
    expect(await heartbeat(t.db, behind.id)).toEqual({ alive: true, disconnectRequested: true });
    // A later change that would keep both cannot bring the one left behind back.
    await advanceAccessEpoch(t.db, contract.id, [user.id], [kept.id, behind.id]);
    expect(await heartbeat(t.db, kept.id)).toEqual({ alive: true, disconnectRequested: false });
    expect(await heartbeat(t.db, behind.id)).toEqual({ alive: true, disconnectRequested: true });
  });

  it("a heartbeat never waits on a change's locks: it skips those leases, and judges them at the next tick", async () => {
    const contract = await makeContract(t.db);
    const user = await makeUser(t.db, contract, "waiter");
    const kept = await open(contract, user, "client");
    const ended = await open(contract, user, "viewer");
    const leaseOf = async (id: string) =>
      (await t.db.select().from(activeSessions).where(eq(activeSessions.id, id)))[0];
    const before = (await leaseOf(kept.id))?.lastHeartbeatAt;
    await t.db.transaction(async (tx) => {
      // The change ends one lease and carries the other onto the new epoch, holding both until it commits.
      await requestSessionEnd(tx as never, contract.id, [ended.id], new Date());
      await advanceAccessEpoch(tx as never, contract.id, [user.id], [kept.id]);
      // A relay's heartbeat meanwhile (another connection) answers at once: a wait here would hang
      // this transaction, and with leases of its own held it could deadlock with the change.
      const during = await heartbeatMany(t.db, [kept.id, ended.id]);
      expect(during.get(kept.id)).toEqual({ alive: true, disconnectRequested: false });
      expect(during.get(ended.id)).toEqual({ alive: true, disconnectRequested: false });
    });
    // Skipped, not renewed; the next tick renews and judges both.
    expect((await leaseOf(kept.id))?.lastHeartbeatAt).toEqual(before);
    const after = await heartbeatMany(t.db, [kept.id, ended.id]);
    expect(after.get(kept.id)).toEqual({ alive: true, disconnectRequested: false });
    expect(after.get(ended.id)).toEqual({ alive: true, disconnectRequested: true });
    expect((await leaseOf(kept.id))?.lastHeartbeatAt.getTime()).toBeGreaterThan(before?.getTime() ?? 0);
  });
});
