import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  heartbeat,
  liveSessionsOf,
  openSession,
  recordAttempt,
  requestSessionEnd,
} from "../src/queries/index.js";
import { createTestDatabase, type TestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser } from "./helpers.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.close());

async function open(
  contract: { id: string },
  user: { id: string; userName: string },
  role: "viewer" | "client",
  extra: { mac?: string; product?: "terminal-ndl-s" | "mobile-ios" } = {},
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
