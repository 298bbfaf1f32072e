/**
 * A relay node's death for tests: what PostgreSQL does when a relay is killed, ending the session that
 * holds its liveness lock (queries/fleet.ts).
 */
import { sql } from "drizzle-orm";
import type { Connection } from "../client.js";
import { FLEET_LOCK_CLASS } from "../queries/fleet.js";

/**
 * Ends the session holding `node`'s liveness lock in the database of `t`, and waits for the lock to go.
 * Only that database's: pg_locks lists every database's locks, lock keys start at 1 in each, and CI
 * runs several packages' suites on one server at once — a kill by key alone ended the liveness of
 * another suite's relays (the fleet test's, whose relays then reaped each other's sessions).
 */
export async function killNode(t: Pick<Connection, "db">, node: { lockKey: number }): Promise<void> {
  const holders = sql`
    from pg_locks
    where locktype = 'advisory' and classid = ${FLEET_LOCK_CLASS}::oid and objid = ${node.lockKey}::oid
      and database = (select oid from pg_database where datname = current_database())`;
  await t.db.execute(sql`select pg_terminate_backend(pid) ${holders}`);
  for (let i = 0; i < 100; i++) {
    const [held] = (await t.db.execute(sql`select count(*)::int as n ${holders}`)) as unknown as {
      n: number;
    }[];
    if (held?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the lock outlived its session");
}
