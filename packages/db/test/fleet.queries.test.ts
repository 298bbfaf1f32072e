import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  clientLocation,
  FLEET_LOCK_CLASS,
  fleetKey,
  openSession,
  reapDeadNodes,
  registerNode,
} from "../src/queries/index.js";
import { accessHistory, activeSessions, relayNodes } from "../src/schema/index.js";
import { createTestDatabase, killNode, useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser, openLoginSession } from "./helpers.js";

const t = useTestDatabase();

describe("the relay registry", () => {
  it("reaps a node whose connection died: its leases released, its history rows ended, its row gone", async () => {
    const contract = await makeContract(t.db);
    const dead = await registerNode(t.db, { id: "dead-node", internalUrl: "ws://127.0.0.1:1" });
    const alive = await registerNode(t.db, { id: "live-node", internalUrl: "ws://127.0.0.1:2" });
    const users = await Promise.all([0, 1, 2].map((i) => makeUser(t.db, contract, `reap${i}`)));
    const [u0, u1, u2] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];
    const onDead = await openLoginSession(t.db, contract, u0, "client", {
      lease: { relayInstance: "dead-node" },
    });
    const alsoDead = await openLoginSession(t.db, contract, u1, "viewer", {
      lease: { relayInstance: "dead-node" },
    });
    const onLive = await openLoginSession(t.db, contract, u2, "client", {
      lease: { relayInstance: "live-node" },
    });
    if (!onDead.opened || !alsoDead.opened || !onLive.opened) throw new Error("not opened");

    // While both hold their locks, nobody is reaped.
    expect(await reapDeadNodes(t.db, "live-node")).toEqual({ nodes: [], sessions: 0 });
    expect(await dead.check()).toBe(true);

    await killNode(t, dead);
    expect(await dead.check()).toBe(false);
    const reaped = await reapDeadNodes(t.db, "live-node");
    expect(reaped).toEqual({ nodes: ["dead-node"], sessions: 2 });

    const leases = await t.db.select({ id: activeSessions.id }).from(activeSessions);
    expect(leases.map((l) => l.id)).toEqual([onLive.sessionId]);
    const ended = await t.db
      .select({ userName: accessHistory.userName, endedAt: accessHistory.endedAt })
      .from(accessHistory)
      .where(eq(accessHistory.contractId, contract.id));
    for (const row of ended) {
      if (row.userName === "reap2") expect(row.endedAt).toBeNull();
      else expect(row.endedAt).not.toBeNull();
    }
    const nodes = await t.db.select({ id: relayNodes.id }).from(relayNodes);
    expect(nodes.map((n) => n.id)).toEqual(["live-node"]);
    await alive.release();
    expect(await t.db.select().from(relayNodes)).toEqual([]);
  });

  it("lets one reaper at a time work: a second pass while the first holds the reaper's lock does nothing", async () => {
    const holder = await t.sql.reserve();
    try {
      await holder`begin`;
      await holder`select pg_advisory_xact_lock(${FLEET_LOCK_CLASS}, 0)`;
      await killNode(t, await registerNode(t.db, { id: "dead-too", internalUrl: "ws://127.0.0.1:3" }));
      expect(await reapDeadNodes(t.db, "me")).toEqual({ nodes: [], sessions: 0 });
      await holder`commit`;
      expect(await reapDeadNodes(t.db, "me")).toEqual({ nodes: ["dead-too"], sessions: 0 });
    } finally {
      holder.release();
    }
  });

  it("says which live node holds a client's session, and makes one fleet key", async () => {
    const contract = await makeContract(t.db);
    const node = await registerNode(t.db, { id: "holder", internalUrl: "ws://127.0.0.1:4" });
    const user = await makeUser(t.db, contract, "located");
    const opened = await openLoginSession(t.db, contract, user, "client", {
      lease: { relayInstance: "holder" },
    });
    if (!opened.opened) throw new Error("not opened");
    expect(await clientLocation(t.db, contract.id, "located")).toEqual({
      sessionId: opened.sessionId,
      relayInstance: "holder",
      internalUrl: "ws://127.0.0.1:4",
    });
    expect(await clientLocation(t.db, contract.id, "nobody")).toBeUndefined();
    await node.release();
    // A lease whose node is gone is nowhere a link can reach.
    expect(await clientLocation(t.db, contract.id, "located")).toBeUndefined();

    const [a, b] = await Promise.all([fleetKey(t.db), fleetKey(t.db)]);
    expect(a).toHaveLength(32);
    expect(b.equals(a)).toBe(true);
    const [count] = await t.db.execute(sql`select count(*)::int as n from fleet_keys`);
    expect(count).toEqual({ n: 1 });
  });
});

describe("killNode (tests' stand-in for a killed relay)", () => {
  it("ends the lock's session in its own database only: another database's node with the same key lives on", async () => {
    // Two fresh databases on one server, as when CI runs several packages' suites on one PostgreSQL:
    // their first nodes have the same lock key.
    const [a, b] = [await createTestDatabase(), await createTestDatabase()];
    try {
      const inA = await registerNode(a.db, { id: "node-a", internalUrl: "ws://127.0.0.1:1" });
      const inB = await registerNode(b.db, { id: "node-b", internalUrl: "ws://127.0.0.1:2" });
      expect(inA.lockKey).toBe(inB.lockKey);
      await killNode(a, inA);
      expect(await inA.check()).toBe(false);
      expect(await inB.check()).toBe(true);
      await inB.release();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("a login against a dead relay node's lease", () => {
  it("takes the lease over at once, without waiting for the stale window or the reaper", async () => {
    const contract = await makeContract(t.db);
    const user = await makeUser(t.db, contract, "moved");
    const killed = await registerNode(t.db, { id: "killed", internalUrl: "ws://127.0.0.1:5" });
    const first = await openLoginSession(t.db, contract, user, "client", {
      lease: { relayInstance: "killed" },
    });
    if (!first.opened) throw new Error("not opened");
    // While its node lives, the lease holds the name (a fresh heartbeat, a stale window of an hour).
    const live = await openSession(
      t.db,
      { ...leaseOf(contract, user), relayInstance: "other", historyId: first.historyId },
      3600,
    );
    expect(live).toBeNull();

    await killNode(t, killed);
    const taken = await openSession(
      t.db,
      { ...leaseOf(contract, user), relayInstance: "other", historyId: first.historyId },
      3600,
    );
    expect(taken?.relayInstance).toBe("other");
    const [row] = await t.db.select().from(accessHistory).where(eq(accessHistory.id, first.historyId));
    expect(row?.endedAt).not.toBeNull();
  });
});

const leaseOf = (contract: { id: string }, user: { id: string; userName: string }) => ({
  contractId: contract.id,
  userId: user.id,
  userName: user.userName,
  role: "client" as const,
  sourceAddress: null,
});
