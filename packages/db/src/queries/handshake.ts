/**
 * The relay's handshake in as few round trips as its guarantees allow. Every statement here is one
 * round trip; on two cores the relay, Postgres and the agents share the CPU with argon2, so a
 * handshake's statements (each a wake-up of a Postgres backend, a parse and a reply) cost handshakes.
 *
 * - `passwordHashOf`: the one column the verification needs, read before it;
 * - `readAttemptState`: after the verification, the user, contract, registrations, linked clients
 *   and open sessions in one statement (what `findUserForAttempt` and `sessionsOfUser` read in five);
 * - `recordSuccessAndOpenSession`: the history row and the session lease in one statement, atomic,
 *   with the unique lease index deciding a race exactly as `openSession` does.
 */
import type { Role } from "@tsunagi/core";
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../client.js";
import { contracts, type DeviceRegistration, type NewAccessHistoryRow, users } from "../schema/index.js";
import type { UserForAttempt } from "./users.js";

/** The user's id and password hash, or null for an unknown server or user name. */
export async function passwordHashOf(
  db: Database,
  serverHost: string,
  userName: string,
): Promise<{ userId: string; passwordHash: string } | null> {
  const [row] = await db
    .select({ userId: users.id, passwordHash: users.passwordHash })
    .from(users)
    .where(and(eq(users.serverHost, serverHost), eq(users.userName, userName)))
    .limit(1);
  return row ?? null;
}

export interface SessionOfUser {
  id: string;
  role: Role;
  /** No heartbeat for the stale window, on the database clock. */
  stale: boolean;
}

export type AttemptState = UserForAttempt & { sessions: SessionOfUser[] };

type RegistrationJson = Omit<DeviceRegistration, "registeredAt"> & { registeredAt: string };

/**
 * What `findUserForAttempt` reads, and the user's open sessions as `sessionsOfUser` reads them, in one
 * statement (one snapshot). Null for an unknown server or user name.
 */
export async function readAttemptState(
  db: Database,
  serverHost: string,
  userName: string,
  staleAfterSeconds: number,
): Promise<AttemptState | null> {
  const [row] = await db
    .select({
      user: users,
      contract: contracts,
      registrations: sql<RegistrationJson[]>`coalesce((
        select json_agg(json_build_object(
          'id', r.id, 'userId', r.user_id, 'slot', r.slot, 'seq', r.seq, 'machineId', r.machine_id,
          'osUser', r.os_user, 'installPublicKey', r.install_public_key, 'registeredAt', r.registered_at
        ) order by r.slot, r.seq)
        from device_registrations r where r.user_id = ${users.id}), '[]'::json)`,
      linkedClients: sql<string[]>`coalesce((
        select json_agg(c.user_name order by c.user_name)
        from group_links g join users c on c.id = g.client_user_id
        where g.viewer_user_id = ${users.id}), '[]'::json)`,
      sessions: sql<SessionOfUser[]>`coalesce((
        select json_agg(json_build_object(
          'id', s.id, 'role', s.role,
          'stale', s.last_heartbeat_at < now() - make_interval(secs => ${staleAfterSeconds})
        ))
        from active_sessions s where s.user_id = ${users.id}), '[]'::json)`,
    })
    .from(users)
    .innerJoin(contracts, eq(contracts.id, users.contractId))
    .where(and(eq(users.serverHost, serverHost), eq(users.userName, userName)))
    .limit(1);
  if (!row) return null;
  return {
    user: row.user,
    contract: row.contract,
    registrations: parseJson(row.registrations).map((r) => ({
      ...r,
      registeredAt: new Date(r.registeredAt),
    })),
    linkedClients: parseJson(row.linkedClients),
    sessions: parseJson(row.sessions),
  };
}

/** postgres.js parses json columns; a driver configured otherwise hands over the text. */
function parseJson<T>(value: T | string): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

export interface SessionToOpen {
  contractId: string;
  userId: string;
  userName: string;
  role: Role;
  sourceAddress: string | null;
  relayInstance: string;
  peerUserName?: string | null;
}

export type RecordAndOpenResult =
  | { opened: true; historyId: number; sessionId: string }
  /** A lease of the user and role existed: the row was recorded as the failure `lost` instead. */
  | { opened: false; historyId: number };

/**
 * Records a successful attempt and opens its session lease, in one statement: the row gets the new
 * session's id, the lease the row's id. When a lease of this user and role already exists (a racing
 * login won it), nothing is opened and the row is recorded as the failure `lost` (ending where it
 * starts) — so of many simultaneous logins exactly one opens, and each other one leaves one failure row.
 *
 * An existing lease always counts as live here: call this only when the user had no lease of this role
 * when its state was read (a lease created since then is fresh). A stale one must be taken over with
 * `openSession`, which ends it first.
 */
export async function recordSuccessAndOpenSession(
  db: Database,
  row: NewAccessHistoryRow & { startedAt: Date },
  open: SessionToOpen,
  lost: { reasonKey: string; reasonCode: number | null },
): Promise<RecordAndOpenResult> {
  const startedAt = row.startedAt.toISOString();
  const result = await db.execute<{ history_id: string | number; session_id: string | null }>(sql`
    with ids as (
      select nextval(pg_get_serial_sequence('access_history', 'id')) as history_id,
             gen_random_uuid() as session_id
    ), lease as (
      insert into active_sessions
        (id, contract_id, user_id, user_name, role, source_address, relay_instance, history_id, peer_user_name)
      select ids.session_id, ${open.contractId}::uuid, ${open.userId}::uuid, ${open.userName}::text,
             ${open.role}::role, ${open.sourceAddress}::text, ${open.relayInstance}::text, ids.history_id,
             ${open.peerUserName ?? null}::text
      from ids
      on conflict (user_id, role) do nothing
      returning id
    ), history_row as (
      insert into access_history
        (id, contract_id, user_id, user_name, role, started_at, ended_at, source_address, mac, result,
         reason_key, reason_code, product, edition, peer_user_name, session_id)
      overriding system value
      select ids.history_id, ${row.contractId}::uuid, ${row.userId ?? null}::uuid, ${row.userName}::text,
             ${row.role}::role, ${startedAt}::timestamptz,
             case when lease.id is null then ${startedAt}::timestamptz end,
             ${row.sourceAddress ?? null}::text, ${row.mac ?? null}::text,
             case when lease.id is null then 'failure' else 'success' end::attempt_result,
             case when lease.id is null then ${lost.reasonKey}::text end,
             case when lease.id is null then ${lost.reasonCode}::integer end,
             ${row.product ?? null}::product, ${row.edition ?? null}::edition,
             case when lease.id is not null then ${row.peerUserName ?? null}::text end,
             lease.id
      from ids left join lease on true
      returning id, session_id
    )
    select id as history_id, session_id from history_row
  `);
  const inserted = (result as unknown as { history_id: string | number; session_id: string | null }[])[0];
  if (!inserted) throw new Error("access history insert returned no row");
  const historyId = Number(inserted.history_id);
  return inserted.session_id === null
    ? { opened: false, historyId }
    : { opened: true, historyId, sessionId: inserted.session_id };
}
