/**
 * Session leases: opening one per user and role atomically, heartbeats, closing, expiring those
 * whose heartbeat stopped (an abnormal disconnect) after the stale window, and asking the holding
 * relay to end the ones an account manager's change revokes.
 */
import type { Product, Role } from "@tsunagi/core/domain";
import { SESSION_STALE_SECONDS } from "@tsunagi/core/rules";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Database } from "../client.js";
import { accessHistory, activeSessions, users } from "../schema/index.js";
import { FLEET_LOCK_CLASS } from "./fleet.js";
import { prepared } from "./prepared.js";

/** Whether a lease's last heartbeat is older than the stale window, computed on the database clock. */
export function isStaleSql(staleAfterSeconds: number) {
  return sql<boolean>`${activeSessions.lastHeartbeatAt} < now() - make_interval(secs => ${staleAfterSeconds})`;
}

/**
 * Whether a lease no longer holds its user name for a new login: stale, or held by a relay node that
 * is dead — registered, its liveness lock free (docs/protocol.md "Fleet") — so an agent whose relay
 * was killed logs in again through another at once instead of failing until the reaper has run. The
 * try-lock, when it succeeds, is held to the end of the login's transaction only; it is shared, so
 * logins at once (every agent of a killed relay comes back together) don't see each other's hold as
 * the node's: 7 of 12 concurrent re-logins failed as duplicates with an exclusive one. `lease` is the
 * SQL name of the `active_sessions` row (an alias, or the table).
 */
export function isLapsedSql(staleAfterSeconds: number, lease = sql.raw("active_sessions")) {
  return sql<boolean>`(${lease}.last_heartbeat_at < now() - make_interval(secs => ${staleAfterSeconds})
    or exists (
      select 1 from relay_nodes n
      where n.id = ${lease}.relay_instance and pg_try_advisory_xact_lock_shared(${FLEET_LOCK_CLASS}, n.lock_key)
    ))`;
}

/** A session lease to insert: whose it is, in which role, from where, held by which relay. */
export interface LeaseToOpen {
  contractId: string;
  userId: string;
  userName: string;
  role: Role;
  sourceAddress: string | null;
  relayInstance: string;
  peerUserName?: string | null;
  /** The user's `access_epoch` the rules decided on: behind the user's, the heartbeat ends the session (see `heartbeat`). */
  accessEpoch?: number;
}

/** Drizzle wraps the driver's error; the SQLSTATE is on it or on its cause. */
function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; cause?: { code?: string } } | null;
  return e?.code === "23505" || e?.cause?.code === "23505";
}

/**
 * Opens the session of `open.userName` in `open.role`, unless a live one holds it. A stale one
 * (no heartbeat for the stale window, one minute unless configured) or a dead relay node's is closed first, its history row ended at its last
 * heartbeat. Two racing opens: the unique index lets exactly one in.
 */
export async function openSession(
  db: Database,
  open: LeaseToOpen & { historyId: number },
  staleAfterSeconds = SESSION_STALE_SECONDS,
) {
  try {
    return await db.transaction(async (tx) => {
      const [existing] = await tx
        .select({
          id: activeSessions.id,
          historyId: activeSessions.historyId,
          lastHeartbeatAt: activeSessions.lastHeartbeatAt,
          stale: isLapsedSql(staleAfterSeconds),
        })
        .from(activeSessions)
        .where(and(eq(activeSessions.userId, open.userId), eq(activeSessions.role, open.role)))
        .for("update");
      if (existing) {
        if (!existing.stale) return null;
        await tx.delete(activeSessions).where(eq(activeSessions.id, existing.id));
        await tx
          .update(accessHistory)
          .set({ endedAt: existing.lastHeartbeatAt })
          .where(eq(accessHistory.id, existing.historyId));
      }
      const [session] = await tx.insert(activeSessions).values(open).returning();
      return session ?? null;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}

/** What a lease's holder must know after a heartbeat: gone (an admin's disconnect or a takeover removed it), or alive and whether it must end. */
export type LeaseState = { alive: false } | { alive: true; disconnectRequested: boolean };

/**
 * Renews these leases in one statement (a relay's whole heartbeat: docs/protocol.md "Sessions") and
 * says, per session, what its holder must know: whether it still exists and whether it must end: a
 * disconnect was requested, or the user's `access_epoch` moved past the session's (a change that can
 * take access away committed after the relay read the account for this login, so nobody judged this
 * session against it). A session absent from the answer's rows is gone.
 */
export async function heartbeatMany(
  db: Database,
  sessionIds: readonly string[],
): Promise<Map<string, LeaseState>> {
  const states = new Map<string, LeaseState>(sessionIds.map((id) => [id, { alive: false }]));
  if (sessionIds.length === 0) return states;
  // The ids travel as one parameter, however many: `in (...)` would bind one parameter each, and
  // PostgreSQL takes at most 65,535 per statement.
  //
  // `skip locked`: a heartbeat never waits on a lease another transaction holds (an account manager's
  // change ending or carrying it, a lock ending the user's sessions, a close). Waiting while holding
  // the other leases it already renewed could deadlock with such a transaction, which takes several
  // leases too; a lease skipped now is renewed and judged at the next tick, well inside the stale
  // window. A session still listed but skipped carries on; one no longer listed is gone.
  const rows = (await db.execute(sql`
    with wanted as (
      select unnest(string_to_array(${sessionIds.join(",")}, ',')::uuid[]) as id
    ), free as (
      select s.id from ${activeSessions} s join wanted w on w.id = s.id
      order by s.id
      for update of s skip locked
    ), renewed as (
      update ${activeSessions} s set last_heartbeat_at = now()
      from free, ${users} u
      where s.id = free.id and u.id = s.user_id
      -- \`<\`, not \`<>\`: the lease row locked above is its newest version, the user row the one of
      -- this statement's snapshot (READ COMMITTED); a change that carried the lease onto a new epoch
      -- and committed meanwhile leaves the lease ahead of that user row, and it is kept, not ended.
      returning s.id, (s.disconnect_requested_at is not null or s.access_epoch < u.access_epoch) as must_end
    )
    select s.id, renewed.must_end
    from ${activeSessions} s join wanted w on w.id = s.id
    left join renewed on renewed.id = s.id
  `)) as unknown as { id: string; must_end: boolean | null }[];
  for (const row of rows) {
    states.set(row.id, { alive: true, disconnectRequested: row.must_end === true });
  }
  return states;
}

/** Renews one lease (`heartbeatMany` for one session). */
export async function heartbeat(db: Database, sessionId: string): Promise<LeaseState> {
  return (await heartbeatMany(db, [sessionId])).get(sessionId) ?? { alive: false };
}

/**
 * Ends a session: the lease is released and its history row gets its end time, in one statement (so
 * atomically, and in one round trip).
 */
export async function closeSession(db: Database, sessionId: string): Promise<boolean> {
  // Prepared: one round trip, as a login's are (prepared.ts); every session ends with it.
  const closed = await prepared(
    db,
    sql`
    with closed as (
      delete from ${activeSessions} where ${activeSessions.id} = ${sessionId} returning history_id
    ), ended as (
      update ${accessHistory} set ended_at = now() from closed where ${accessHistory.id} = closed.history_id
    )
    select 1 from closed
  `,
  );
  return closed.length > 0;
}

/** Removes every session whose heartbeat is older than the stale window; returns how many. */
export async function expireStaleSessions(
  db: Database,
  staleAfterSeconds = SESSION_STALE_SECONDS,
): Promise<number> {
  return db.transaction(async (tx) => {
    const expired = await tx
      .delete(activeSessions)
      .where(isStaleSql(staleAfterSeconds))
      .returning({ historyId: activeSessions.historyId, lastHeartbeatAt: activeSessions.lastHeartbeatAt });
    for (const s of expired) {
      await tx
        .update(accessHistory)
        .set({ endedAt: s.lastHeartbeatAt })
        .where(and(eq(accessHistory.id, s.historyId), sql`${accessHistory.endedAt} is null`));
    }
    return expired.length;
  });
}

/** A live session with what its admission rested on, as its lease and history row recorded it. */
export interface LiveSession {
  id: string;
  userId: string;
  role: Role;
  /** The address the relay checked against the IP allow-list. */
  sourceAddress: string | null;
  /** The viewer's product (so the slot it registered through); null for a client. */
  product: Product | null;
  /** The MAC the agent reported, as recorded (canonical when it parsed); null when none was sent. */
  mac: string | null;
}

/** The live sessions of these users in `contractId`; sessions already asked to end are left out. */
export async function liveSessionsOf(
  db: Database,
  contractId: string,
  userIds: readonly string[],
): Promise<LiveSession[]> {
  if (userIds.length === 0) return [];
  return db
    .select({
      id: activeSessions.id,
      userId: activeSessions.userId,
      role: activeSessions.role,
      sourceAddress: activeSessions.sourceAddress,
      product: accessHistory.product,
      mac: accessHistory.mac,
    })
    .from(activeSessions)
    .leftJoin(accessHistory, eq(accessHistory.id, activeSessions.historyId))
    .where(
      and(
        eq(activeSessions.contractId, contractId),
        inArray(activeSessions.userId, [...userIds]),
        isNull(activeSessions.disconnectRequestedAt),
      ),
    );
}

/**
 * Advances the `access_epoch` of these users (a change that can take access away is being made in
 * this transaction) and carries the sessions judged to keep their access (`keptSessionIds`) onto the
 * new epoch. Only a session already on the user's current epoch is carried: one whose login read the
 * account before an earlier change stays behind and is ended at its heartbeat. Every other session of
 * these users, including one whose lease commits after this transaction read them, is ended at its
 * next heartbeat (see `heartbeat`). Run it in the change's transaction, with `requestSessionEnd`.
 */
export async function advanceAccessEpoch(
  db: Database,
  contractId: string,
  userIds: readonly string[],
  keptSessionIds: readonly string[],
): Promise<void> {
  if (userIds.length === 0) return;
  const kept = keptSessionIds.length === 0 ? [NO_SESSION] : [...keptSessionIds];
  await db.execute(sql`
    with advanced as (
      update ${users} set access_epoch = access_epoch + 1
      where ${users.contractId} = ${contractId}::uuid and ${inArray(users.id, [...userIds])}
      returning id, access_epoch
    )
    update ${activeSessions} s set access_epoch = advanced.access_epoch
    from advanced
    where s.user_id = advanced.id and s.access_epoch = advanced.access_epoch - 1
      and ${inArray(sql`s.id`, kept)}
  `);
}

/** An id no session has: keeps `in (...)` well-formed when no session is kept. */
const NO_SESSION = "00000000-0000-0000-0000-000000000000";

/**
 * Asks the relays holding these sessions to end them: each relay closes its socket (4003) at the
 * session's next heartbeat, and the history row gets its end time then. Run it in the transaction of
 * the change that revokes them, so the request stands or falls with the change. Returns how many
 * sessions of `contractId` were asked to end (a session of another contract is never touched).
 */
export async function requestSessionEnd(
  db: Database,
  contractId: string,
  sessionIds: readonly string[],
  at: Date,
): Promise<number> {
  if (sessionIds.length === 0) return 0;
  const asked = await db
    .update(activeSessions)
    .set({ disconnectRequestedAt: at })
    .where(
      and(
        eq(activeSessions.contractId, contractId),
        inArray(activeSessions.id, [...sessionIds]),
        isNull(activeSessions.disconnectRequestedAt),
      ),
    )
    .returning({ id: activeSessions.id });
  return asked.length;
}
