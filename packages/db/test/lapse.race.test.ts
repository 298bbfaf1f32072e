/**
 * When a relay is killed, its agents all log in again through the others at once: each login's lapse
 * check (`isLapsedSql`: the lease's node is registered but its liveness lock is free) must see the
 * node dead while another login's check or takeover holds its transaction open. With an exclusive
 * try-lock the second check saw the first one's hold as the node's and failed the login as a
 * duplicate (7 of 12 concurrent re-logins in a test against real relays; fleet.e2e in apps/relay).
 */
import { eq, sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { isLapsedSql, registerNode, sessionsOfUser } from "../src/queries/index.js";
import { activeSessions } from "../src/schema/index.js";
import { killNode, useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser, openLoginSession } from "./helpers.js";

const t = useTestDatabase();

it("sees a dead node's leases lapsed for every login at once, not only the first", async () => {
  const contract = await makeContract(t.db);
  const [first, second] = await Promise.all([
    makeUser(t.db, contract, "back.first"),
    makeUser(t.db, contract, "back.second"),
  ]);
  if (!first || !second) throw new Error("no users");
  const node = await registerNode(t.db, { id: "killed-node", internalUrl: "ws://127.0.0.1:9" });
  for (const user of [first, second]) {
    const opened = await openLoginSession(t.db, contract, user, "client", {
      lease: { relayInstance: "killed-node" },
    });
    if (!opened.opened) throw new Error("not opened");
  }
  // Alive, its leases hold (a fresh heartbeat, a stale window of an hour).
  expect((await sessionsOfUser(t.db, second.id, 3600)).map((s) => s.stale)).toEqual([false]);
  await killNode(t, node);

  // One login's transaction is open (as a takeover's is, from its check to its commit) while the
  // other login checks its own lease on the same node.
  const seen = await t.db.transaction(async (tx) => {
    const [mine] = (await tx.execute(
      sql`select ${isLapsedSql(3600)} as lapsed from active_sessions where user_id = ${first.id}`,
    )) as unknown as { lapsed: boolean }[];
    const other = await sessionsOfUser(t.db, second.id, 3600);
    return { mine: mine?.lapsed, other: other.map((s) => s.stale) };
  });
  expect(seen).toEqual({ mine: true, other: [true] });
  // Nothing was taken by the checks themselves.
  expect(
    await t.db.select().from(activeSessions).where(eq(activeSessions.relayInstance, "killed-node")),
  ).toHaveLength(2);
});
