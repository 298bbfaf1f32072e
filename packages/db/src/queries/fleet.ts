/**
 * The fleet's shared state: relay nodes registering with a session-level advisory lock as their
 * liveness, the reaper that ends a dead node's sessions, where a client's lease lives (so the relay
 * holding its viewer can reach it), and the fleet key that authenticates links between relays
 * (docs/architecture.md "Fleet").
 *
 * A node takes `pg_advisory_lock(FLEET_LOCK_CLASS, lock_key)` on a connection of its own (not one
 * reserved from the pool: postgres.js would run a reserved connection's next query on the closed
 * socket after a network fault and throw out of a timer, or on whatever session the pool reopened it
 * as), in the statement that inserts its row: no one sees the row before the lock is held.
 * When the process dies, PostgreSQL closes that connection and frees the lock within moments, so a
 * node whose row stands but whose lock can be taken is dead, whatever its leases' heartbeats say.
 */
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import type { Database } from "../client.js";
import { activeSessions, fleetKeys, relayNodes } from "../schema/index.js";

/** The first key of every advisory lock the fleet takes ('tsng'); the second is a node's `lock_key`. */
export const FLEET_LOCK_CLASS = 0x74736e67;
/** The second key of the reaper's lock: no node has it (lock keys start at 1). */
const REAPER_KEY = 0;

/** A registered node: its liveness lock held on a connection of its own until `release()`. */
export interface NodeRegistration {
  readonly id: string;
  readonly lockKey: number;
  /**
   * Whether this node's connection still holds its lock (false: the connection broke or does not
   * answer within `timeoutMs`, and the lock may be gone).
   */
  check(timeoutMs?: number): Promise<boolean>;
  /** Marks the node draining: other relays send it no new channel, operators see it. */
  markDraining(): Promise<void>;
  /** Deletes the row, frees the lock and gives the connection back. */
  release(): Promise<void>;
}

/** A connection of its own to the pool's database, for the liveness lock. */
function lockConnection(db: Database): postgres.Sql {
  const o = db.$client.options;
  return postgres({
    host: o.host as unknown as string,
    port: o.port as unknown as number,
    database: o.database,
    user: o.user,
    ...(o.pass === null ? {} : { pass: o.pass }),
    ssl: o.ssl,
    max: 1,
    connect_timeout: 10,
    onnotice: () => {},
    connection: { application_name: "tsunagi-relay-node" },
  });
}

/**
 * Registers `id` (or takes over its row again after the lock was lost) and holds its liveness lock on
 * a connection of its own for as long as the node lives. If that connection breaks, the lock is gone
 * with it and `check()` says so; the client would reconnect as a new session without the lock.
 */
export async function registerNode(
  db: Database,
  node: { readonly id: string; readonly internalUrl: string },
): Promise<NodeRegistration> {
  const own = lockConnection(db);
  try {
    // One statement, so one transaction: the lock is held before the row is visible to anyone.
    // Session-level, the lock outlives the statement and lasts as long as the connection. A try-lock:
    // after a network fault the server may still hold it for this node's previous connection, until
    // that one times out; the relay tries again at its next tick rather than wait here.
    const [row] = await own<{ lock_key: number; locked: boolean }[]>`
      with registered as (
        insert into relay_nodes (id, internal_url) values (${node.id}, ${node.internalUrl})
        on conflict (id) do update set internal_url = excluded.internal_url, draining_since = null
        returning lock_key
      )
      select lock_key, pg_try_advisory_lock(${FLEET_LOCK_CLASS}, lock_key) as locked from registered`;
    if (!row) throw new Error("relay node not registered");
    if (!row.locked) throw new Error("relay node's lock is still held by its previous connection");
    const lockKey = row.lock_key;
    let released = false;
    return {
      id: node.id,
      lockKey,
      async check(timeoutMs = 5_000) {
        if (released) return false;
        // A partitioned connection may never answer: a check that takes too long counts as lost.
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), timeoutMs);
        });
        const held = own<{ held: boolean }[]>`
          select exists (
            select 1 from pg_locks
            where locktype = 'advisory' and classid = ${FLEET_LOCK_CLASS}::oid and objid = ${lockKey}::oid
              and objsubid = 2 and pid = pg_backend_pid() and granted
          ) as held`.then(
          ([answer]) => answer?.held === true,
          () => false,
        );
        try {
          return await Promise.race([held, late]);
        } finally {
          clearTimeout(timer);
        }
      },
      async markDraining() {
        await db.update(relayNodes).set({ drainingSince: sql`now()` }).where(eq(relayNodes.id, node.id));
      },
      async release() {
        if (released) return;
        released = true;
        // Bounded like check(): a partitioned connection must not hold up the relay's shutdown. The
        // lock goes with the connection anyway; the row, if left, is reaped as a dead node's.
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, 5_000);
        });
        try {
          await Promise.race([
            (async () => {
              await own`delete from relay_nodes where id = ${node.id}`;
              await own`select pg_advisory_unlock(${FLEET_LOCK_CLASS}, ${lockKey})`;
            })(),
            late,
          ]);
        } finally {
          clearTimeout(timer);
          // Closing the connection frees the lock if the unlock did not get through.
          await own.end({ timeout: 1 }).catch(() => {});
        }
      },
    };
  } catch (error) {
    await own.end({ timeout: 1 }).catch(() => {});
    throw error;
  }
}

/** What one pass of the reaper did. */
export interface Reaped {
  /** The dead nodes removed (none when another node's reaper held the reaper's lock). */
  readonly nodes: readonly string[];
  /** Their sessions ended: leases released, history rows given their end time. */
  readonly sessions: number;
}

/**
 * One reaper pass, by at most one node at a time (a try-lock; the others skip): every node but
 * `selfId` whose liveness lock is free is dead; its leases are released and their history rows end at
 * their last heartbeat, as for a stale lease, and its row goes. All in one transaction: a lock taken
 * here is a transaction lock, freed at commit.
 */
export async function reapDeadNodes(db: Database, selfId: string): Promise<Reaped> {
  return db.transaction(async (tx) => {
    const [turn] = (await tx.execute(
      sql`select pg_try_advisory_xact_lock(${FLEET_LOCK_CLASS}, ${REAPER_KEY}) as mine`,
    )) as unknown as { mine: boolean }[];
    if (!turn?.mine) return { nodes: [], sessions: 0 };
    // `materialized`: the try-lock runs once per node, whichever statements read the list. Shared, as
    // a login's lapse check (sessions.ts): an exclusive hold here would make a dead node look alive
    // to the logins of its agents coming back meanwhile.
    const rows = (await tx.execute(sql`
      with dead as materialized (
        select n.id from ${relayNodes} n
        where n.id <> ${selfId} and pg_try_advisory_xact_lock_shared(${FLEET_LOCK_CLASS}, n.lock_key)
      ), ended as (
        delete from ${activeSessions} s using dead where s.relay_instance = dead.id
        returning s.history_id, s.last_heartbeat_at
      ), closed as (
        update access_history h set ended_at = ended.last_heartbeat_at
        from ended where h.id = ended.history_id and h.ended_at is null
        returning h.id
      ), gone as (
        delete from ${relayNodes} n using dead where n.id = dead.id returning n.id
      )
      select (select coalesce(array_agg(id), '{}') from gone) as nodes,
             (select count(*)::int from ended) as sessions,
             (select count(*)::int from closed) as closed
    `)) as unknown as { nodes: string[]; sessions: number }[];
    const result = rows[0];
    return { nodes: result?.nodes ?? [], sessions: result?.sessions ?? 0 };
  });
}

/** Where a client's live session is held: its lease and the internal address of the relay holding it. */
export interface ClientLocation {
  readonly sessionId: string;
  readonly relayInstance: string;
  readonly internalUrl: string;
}

/**
 * The node holding `userName`'s client session in `contractId`, if it lives and is not draining
 * (a draining node's clients are about to move; a channel opened there would be cut).
 */
export async function clientLocation(
  db: Database,
  contractId: string,
  userName: string,
): Promise<ClientLocation | undefined> {
  const [row] = await db
    .select({
      sessionId: activeSessions.id,
      relayInstance: activeSessions.relayInstance,
      internalUrl: relayNodes.internalUrl,
    })
    .from(activeSessions)
    .innerJoin(relayNodes, eq(relayNodes.id, activeSessions.relayInstance))
    .where(
      sql`${activeSessions.contractId} = ${contractId} and ${activeSessions.userName} = ${userName}
        and ${activeSessions.role} = 'client' and ${activeSessions.disconnectRequestedAt} is null`,
    )
    .limit(1);
  return row;
}

/** The fleet key (32 random bytes), made by the first relay that asks. */
export async function fleetKey(db: Database): Promise<Buffer> {
  await db
    .insert(fleetKeys)
    .values({ id: 1, key: randomBytes(32) })
    .onConflictDoNothing();
  const [row] = await db.select({ key: fleetKeys.key }).from(fleetKeys).where(eq(fleetKeys.id, 1));
  if (!row) throw new Error("fleet key missing");
  return Buffer.from(row.key);
}

/** A registered node as an operator sees it (`tsunagi-ops nodes`). */
export interface NodeStatus {
  readonly id: string;
  readonly internalUrl: string;
  readonly startedAt: Date;
  readonly drainingSince: Date | null;
  /** Holds its liveness lock; false: dead, its sessions ended at the next reaper pass. */
  readonly alive: boolean;
  readonly sessions: number;
}

/**
 * Every registered node, oldest first, with its live sessions and whether it is alive (its lock taken,
 * tried shared and given back at once: this never reaps nor blocks anyone).
 */
export async function relayNodeStatus(db: Database): Promise<NodeStatus[]> {
  return db.transaction(async (tx) => {
    const rows = (await tx.execute(sql`
      select n.id, n.internal_url, n.started_at, n.draining_since,
             not pg_try_advisory_xact_lock_shared(${FLEET_LOCK_CLASS}, n.lock_key) as alive,
             (select count(*)::int from ${activeSessions} s where s.relay_instance = n.id) as sessions
      from ${relayNodes} n order by n.started_at, n.id
    `)) as unknown as {
      id: string;
      internal_url: string;
      started_at: string | Date;
      draining_since: string | Date | null;
      alive: boolean;
      sessions: number;
    }[];
    return rows.map((r) => ({
      id: r.id,
      internalUrl: r.internal_url,
      startedAt: new Date(r.started_at),
      drainingSince: r.draining_since === null ? null : new Date(r.draining_since),
      alive: r.alive,
      sessions: r.sessions,
    }));
  });
}
