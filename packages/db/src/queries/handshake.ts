/**
 * The relay's handshake in as few round trips as its guarantees allow: two per attempt, one before the
 * password verification and one after. On two cores the relay, Postgres and the agents share the CPU
 * with argon2, so a handshake's statements (each a wake-up of a Postgres backend, a parse, a plan and a
 * reply) cost handshakes. The two statements run as named prepared statements (prepared.ts): Drizzle's
 * `execute` sends every statement unnamed, which postgres.js runs as two round trips (a parse and
 * describe for the parameters' types, then the execution), parsed and planned every time.
 *
 * Every failed attempt costs the same two statements, whatever its reason (unknown user or server,
 * wrong password, locked, refused by a rule), so that neither a stopwatch nor the database's load tells
 * the reasons apart (docs/protocol.md, "Equal cost"):
 *
 * 1. `readAttemptState`, before the verification: the password hash and everything else the rules read
 *    (user, contract, registrations, linked clients, open sessions), with a fingerprint of it all but
 *    the failure counter;
 * 2. `settleAttempt`, after it, in one atomic statement under the user's row lock: the failure counter
 *    bumped when the password was wrong (and the lock it may set, ending the user's live sessions), the
 *    lockout decided on the row as it is after the hash, and — when the fingerprint says nothing else
 *    changed since statement 1 — the outcome the relay's rules decided on statement 1's state written:
 *    a failure's history row, or a success's row and session lease (the unique lease index deciding a
 *    race) with the counter reset. For an unknown user the same statement runs, matching nothing.
 *
 * When the account changed in between (a session opened, a device registered, an admin's edit: not a
 * failed attempt's counter, which the fingerprint leaves out), or the success must register a device or
 * take over a lapsed lease, statement 2 only counts and says so, and the relay decides again on a fresh
 * read (`readAttemptState` again) and writes with the statements below: `recordFailedAttempt`,
 * `resetFailureCounter`, `recordSuccessAndOpenSession` (or a takeover, sessions.ts): a race or a first
 * login of a device costs more round trips, never a failed attempt of a stranger.
 */
import type { Role } from "@tsunagi/core/domain";
import { and, type Column, eq, getTableColumns, type SQL, sql, type Table } from "drizzle-orm";
import type { Database } from "../client.js";
import {
  type Contract,
  contracts,
  type DeviceRegistration,
  type NewAccessHistoryRow,
  type User,
  users,
} from "../schema/index.js";
import { preparedOnce } from "./prepared.js";
import { isLapsedSql, type LeaseToOpen } from "./sessions.js";
import type { UserForAttempt } from "./users.js";

export interface SessionOfUser {
  id: string;
  role: Role;
  /** Lapsed: no heartbeat for the stale window (on the database clock), or its relay node is dead. */
  stale: boolean;
}

export type AttemptState = UserForAttempt & { sessions: SessionOfUser[] };

type RegistrationJson = Omit<DeviceRegistration, "registeredAt"> & { registeredAt: string };

/** postgres.js parses json columns; a driver configured otherwise hands over the text. */
function parseJson<T>(value: T | string): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

/** The id no user has (gen_random_uuid never makes it): statement 2's key for an unknown user. */
const NO_USER = "00000000-0000-0000-0000-000000000000";

/** A row given as JSON (`row_to_json`), read back through the table's own column mappings. */
function fromJsonRow(table: Table, json: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of columnsOf(table)) {
    const value = json[column.name];
    out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return out;
}

const tableColumns = new WeakMap<Table, [string, Column][]>();
/** A table's columns by key, listed once (every login reads two rows through them). */
function columnsOf(table: Table): [string, Column][] {
  let columns = tableColumns.get(table);
  if (!columns) {
    columns = Object.entries(getTableColumns(table));
    tableColumns.set(table, columns);
  }
  return columns;
}

/**
 * A failed attempt's history row, which starts and ends at `at`, written after a re-read (statement 2
 * writes it otherwise); also the 200200 info row of a registration. For an unknown user (`row` null)
 * the same insert runs and records nothing (`where false`).
 */
export async function recordFailedAttempt(
  db: Database,
  row: (NewAccessHistoryRow & { startedAt: Date }) | null,
  dummy: { role: Role },
): Promise<void> {
  const at = (row?.startedAt ?? new Date()).toISOString();
  await db.execute(sql`
    insert into access_history
      (contract_id, user_id, user_name, role, started_at, ended_at, source_address, mac, result,
       reason_key, reason_code, product, edition, peer_user_name)
    select ${row?.contractId ?? NO_USER}::uuid, ${row?.userId ?? null}::uuid, ${row?.userName ?? ""}::text,
           ${row?.role ?? dummy.role}::role, ${at}::timestamptz, ${at}::timestamptz,
           ${row?.sourceAddress ?? null}::text, ${row?.mac ?? null}::text,
           ${row?.result ?? "failure"}::attempt_result, ${row?.reasonKey ?? null}::text,
           ${row?.reasonCode ?? null}::integer, ${row?.product ?? null}::product,
           ${row?.edition ?? null}::edition, ${row?.peerUserName ?? null}::text
    where ${row !== null}::boolean
  `);
}

/**
 * A success resets the counter and lock, unless a failure was counted since `seenCount` was read (a
 * wrong password racing this success): that failure stands.
 */
export async function resetFailureCounter(db: Database, userId: string, seenCount: number): Promise<void> {
  await db
    .update(users)
    .set({ failedCount: 0, lockedUntil: null })
    .where(and(eq(users.id, userId), eq(users.failedCount, seenCount)));
}

export type RecordAndOpenResult =
  | { opened: true; historyId: number; sessionId: string }
  /** A lease of the user and role existed: the row was recorded as the failure `lost` instead. */
  | { opened: false; historyId: number };

/**
 * The columns a session's opening inserts, in the order both statements that open one give their
 * values (`recordSuccessAndOpenSession`, and statement 2 of `settleAttempt`).
 */
const LEASE_COLUMNS = sql.raw(`(id, contract_id, user_id, user_name, role, source_address, relay_instance,
         history_id, peer_user_name, access_epoch)`);
const HISTORY_COLUMNS =
  sql.raw(`(id, contract_id, user_id, user_name, role, started_at, ended_at, source_address,
         mac, result, reason_key, reason_code, product, edition, peer_user_name, session_id)`);

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
  open: LeaseToOpen,
  lost: { reasonKey: string; reasonCode: number | null },
): Promise<RecordAndOpenResult> {
  const startedAt = row.startedAt.toISOString();
  const result = await db.execute<{ history_id: string | number; session_id: string | null }>(sql`
    with ids as (
      select nextval(pg_get_serial_sequence('access_history', 'id')) as history_id,
             gen_random_uuid() as session_id
    ), lease as (
      insert into active_sessions
        ${LEASE_COLUMNS}
      select ids.session_id, ${open.contractId}::uuid, ${open.userId}::uuid, ${open.userName}::text,
             ${open.role}::role, ${open.sourceAddress}::text, ${open.relayInstance}::text, ids.history_id,
             ${open.peerUserName ?? null}::text, ${open.accessEpoch ?? 0}::integer
      from ids
      on conflict (user_id, role) do nothing
      returning id
    ), history_row as (
      insert into access_history
        ${HISTORY_COLUMNS}
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

/**
 * What statement 1 and statement 2 both read of a user (`id`, its row as JSON `user`, its contract's
 * `contract`): registrations, linked clients, open sessions with whether each lapsed, and the
 * fingerprint of all of it but the failure counter and lock — the same expression in both statements,
 * so equal fingerprints mean the rules would read the same account (the counter aside, which
 * statement 2 decides on itself).
 */
function attemptPiecesSql(id: SQL, user: SQL, contract: SQL, staleAfterSeconds: number): SQL {
  return sql`
    select r.registrations, l.linked as "linkedClients", s.sessions,
      md5(concat_ws('|', (${user} - 'failed_count' - 'locked_until')::text, ${contract}::text,
        r.registrations::text, l.linked::text, s.sessions::text)) as fingerprint
    from (
      select coalesce(json_agg(json_build_object(
        'id', r.id, 'userId', r.user_id, 'slot', r.slot, 'seq', r.seq, 'machineId', r.machine_id,
        'osUser', r.os_user, 'installPublicKey', r.install_public_key, 'registeredAt', r.registered_at
      ) order by r.slot, r.seq), '[]'::json) as registrations
      from device_registrations r where r.user_id = ${id}
    ) r, (
      select coalesce(json_agg(lc.user_name order by lc.user_name), '[]'::json) as linked
      from group_links g join users lc on lc.id = g.client_user_id where g.viewer_user_id = ${id}
    ) l, (
      select coalesce(json_agg(json_build_object(
        'id', s.id, 'role', s.role, 'stale', ${isLapsedSql(staleAfterSeconds, sql.raw("s"))}
      ) order by s.id), '[]'::json) as sessions
      from active_sessions s where s.user_id = ${id}
    ) s`;
}

/** Statement 1's answer: the attempt state as it was before the verification. */
export interface ReadAttemptState {
  /** The user, contract, registrations, links and sessions, the counter as it was when read. */
  state: AttemptState;
  /** Statement 2 writes the relay's decision only if the account still has this fingerprint. */
  fingerprint: string;
}

interface ReadRow {
  user: Record<string, unknown> | string;
  contract: Record<string, unknown> | string;
  registrations: RegistrationJson[] | string;
  linkedClients: string[] | string;
  sessions: SessionOfUser[] | string;
  fingerprint: string;
}

/**
 * Statement 1 of every attempt (see the module header): the user named `userName` on `serverHost` —
 * its password hash among its columns — and everything the rules read, with the fingerprint statement
 * 2 checks; null for an unknown server or user name.
 */
export async function readAttemptState(
  db: Database,
  serverHost: string,
  userName: string,
  staleAfterSeconds: number,
): Promise<ReadAttemptState | null> {
  const [row] = await readStatement(staleAfterSeconds)(db, { serverHost, userName });
  if (!row) return null;
  return {
    state: {
      user: fromJsonRow(users, parseJson(row.user)) as User,
      contract: fromJsonRow(contracts, parseJson(row.contract)) as Contract,
      registrations: parseJson(row.registrations).map((r) => ({
        ...r,
        registeredAt: new Date(r.registeredAt),
      })),
      linkedClients: parseJson(row.linkedClients),
      sessions: parseJson(row.sessions),
    },
    fingerprint: row.fingerprint,
  };
}

/** A value of each call, in a statement compiled once. */
const value = (name: string) => sql.placeholder(name);

/** Statement 1, compiled once per stale window (a relay has one). */
const readStatement = perStaleWindow((staleAfterSeconds) =>
  preparedOnce<ReadRow>(
    () => sql`
      select row_to_json(u) as "user", row_to_json(c) as contract,
             p.registrations, p."linkedClients", p.sessions, p.fingerprint
      from users u join contracts c on c.id = u.contract_id
      cross join lateral (${attemptPiecesSql(sql`u.id`, sql`to_jsonb(u)`, sql`to_jsonb(c)`, staleAfterSeconds)}) p
      where u.server_host = ${value("serverHost")}::text and u.user_name = ${value("userName")}::text
      limit 1`,
  ),
);

/** One statement per stale window, made on first use: the window is part of the compiled text's plan. */
function perStaleWindow<S>(make: (staleAfterSeconds: number) => S): (staleAfterSeconds: number) => S {
  const made = new Map<number, S>();
  return (staleAfterSeconds) => {
    let statement = made.get(staleAfterSeconds);
    if (!statement) {
      statement = make(staleAfterSeconds);
      made.set(staleAfterSeconds, statement);
    }
    return statement;
  };
}

/** What the relay decided on statement 1's state, for statement 2 to write if that state still holds. */
export type AttemptPlan =
  /** Refused by a rule (the lockout aside, which statement 2 decides): record this reason. */
  | { kind: "failure"; reasonKey: string; reasonCode: number | null }
  /** Passed every rule, and no lease of this role was there: record the success and open the lease. */
  | {
      kind: "success";
      lease: Pick<LeaseToOpen, "relayInstance" | "peerUserName" | "accessEpoch">;
      /** How the row reads when a racing login took the lease first. */
      lost: { reasonKey: string; reasonCode: number | null };
    }
  /** A success that registers a device or takes over a lapsed lease: statement 2 only counts. */
  | { kind: "defer" };

export interface AttemptToSettle {
  /** Null for an unknown user: the same statement, matching nothing. */
  userId: string | null;
  /** Statement 1's fingerprint; null for an unknown user. */
  fingerprint: string | null;
  passwordOk: boolean;
  /** False when a wrong password from here must not count (see the relay's auth.ts); default true. */
  countsFailure?: boolean;
  now: Date;
  staleAfterSeconds: number;
  /** The history row's own fields (who, contract and user name come from the user's row). */
  row: {
    role: Role;
    sourceAddress: string | null;
    mac: string | null;
    product: string | null;
    edition: string | null;
    /** A success's peer (a viewer's target); failures record none. */
    peerUserName: string | null;
  };
  /** The row of an attempt the lockout refuses. */
  lockedOut: { reasonKey: string; reasonCode: number | null };
  plan: AttemptPlan;
}

export type SettledAttempt =
  /** Locked on the row after the hash: recorded as `lockedOut`. */
  | { outcome: "locked"; historyId: number }
  | { outcome: "failure"; historyId: number }
  | { outcome: "success"; historyId: number; sessionId: string }
  /** The success lost its lease to a racing login: recorded as the plan's `lost`. */
  | { outcome: "lost"; historyId: number }
  /**
   * Nothing recorded: the account changed since statement 1, or the plan deferred. The counter is
   * counted; `prior` is what it was before (the lockout's input), and it locked nobody at `now`.
   */
  | { outcome: "changed" | "defer"; prior: { count: number; lockedUntil: Date | null } };

interface SettleRow {
  outcome: "locked" | "failure" | "success" | "changed" | "defer";
  priorCount: number;
  priorLockedUntil: string | Date | null;
  historyId: string | number | null;
  sessionId: string | null;
}

/**
 * Statement 2 of every attempt (see the module header), atomic under the user's row lock. When the
 * password was wrong `failed_count = failed_count + 1`, locking the user for the contract's
 * `lockout_seconds` from `now` each time the count reaches a multiple of `lockout_threshold`, and a lock
 * so set asks the user's live sessions to end (their relay closes them at its next heartbeat). The
 * attempt is locked out when the row, as it was just before this count, is locked at `now`: recorded
 * so whatever the plan. Otherwise, if the fingerprint still matches statement 1's, the plan is written
 * (a success also resets the counter); else nothing is recorded and the relay decides again.
 *
 * This mirrors core's `afterPasswordFailure` and `isLockedOut` (packages/core/src/rules.ts), the one
 * statement of the lockout rule; change them together. Two attempts
 * of one user serialise on the row lock, so N wrong passwords, however parallel, leave `failed_count` N
 * and each lock decided on the row after the hash. Null for an unknown user (or one deleted since).
 */
export async function settleAttempt(db: Database, attempt: AttemptToSettle): Promise<SettledAttempt | null> {
  const { row, plan } = attempt;
  const lease = plan.kind === "success" ? plan.lease : null;
  const failure = plan.kind === "failure" ? plan : plan.kind === "success" ? plan.lost : null;
  const [settled] = await settleStatement(attempt.staleAfterSeconds)(db, {
    userId: attempt.userId ?? NO_USER,
    fingerprint: attempt.fingerprint,
    wrong: !attempt.passwordOk && attempt.countsFailure !== false,
    now: attempt.now.toISOString(),
    planKind: plan.kind,
    role: row.role,
    sourceAddress: row.sourceAddress,
    mac: row.mac,
    product: row.product,
    edition: row.edition,
    peer: row.peerUserName,
    relayInstance: lease?.relayInstance ?? null,
    leasePeer: lease?.peerUserName ?? null,
    accessEpoch: lease?.accessEpoch ?? 0,
    lockedKey: attempt.lockedOut.reasonKey,
    lockedCode: attempt.lockedOut.reasonCode,
    failureKey: failure?.reasonKey ?? null,
    failureCode: failure?.reasonCode ?? null,
  });
  if (!settled) return null;
  const historyId = Number(settled.historyId);
  switch (settled.outcome) {
    case "locked":
    case "failure":
      return { outcome: settled.outcome, historyId };
    case "success":
      return settled.sessionId === null
        ? { outcome: "lost", historyId }
        : { outcome: "success", historyId, sessionId: settled.sessionId };
    default:
      return {
        outcome: settled.outcome,
        prior: {
          count: settled.priorCount,
          lockedUntil: settled.priorLockedUntil === null ? null : new Date(settled.priorLockedUntil),
        },
      };
  }
}

/** Statement 2, compiled once per stale window; `value(name)` is one of each call's (`settleAttempt`). */
const settleStatement = perStaleWindow((staleAfterSeconds) =>
  preparedOnce<SettleRow>(
    () => sql`
    with prior as (
      select u.id, u.contract_id, u.user_name, u.failed_count, u.locked_until, to_jsonb(u) as j
      from users u where u.id = ${value("userId")}::uuid
      for update
    ), decided as (
      select p.id, p.contract_id, p.user_name, p.failed_count, p.locked_until,
        case
          when p.locked_until is not null and p.locked_until > ${value("now")}::timestamptz then 'locked'
          when f.fingerprint is distinct from ${value("fingerprint")}::text then 'changed'
          else ${value("planKind")}::text
        end as outcome
      from prior p join contracts c on c.id = p.contract_id
      cross join lateral (${attemptPiecesSql(sql`p.id`, sql`p.j`, sql`to_jsonb(c)`, staleAfterSeconds)}) f
    ), bumped as (
      update users u set
        failed_count = case
          when ${value("wrong")}::boolean then u.failed_count + 1
          when d.outcome = 'success' then 0
          else u.failed_count end,
        locked_until = case
          when ${value("wrong")}::boolean and c.lockout_threshold > 0
               and (u.failed_count + 1) % c.lockout_threshold = 0
            then ${value("now")}::timestamptz + make_interval(secs => c.lockout_seconds)
          when d.outcome = 'success' then null
          else u.locked_until end
      from decided d, contracts c
      where u.id = d.id and c.id = u.contract_id
      returning u.id,
        ${value("wrong")}::boolean and c.lockout_threshold > 0 and u.failed_count % c.lockout_threshold = 0 as locks
    ), ended as (
      update active_sessions s set disconnect_requested_at = coalesce(s.disconnect_requested_at, ${value("now")}::timestamptz)
      from bumped where s.user_id = bumped.id and bumped.locks
      returning s.id
    ), ids as (
      select nextval(pg_get_serial_sequence('access_history', 'id')) as history_id,
             gen_random_uuid() as session_id
      from decided d where d.outcome in ('locked', 'failure', 'success')
    ), lease as (
      insert into active_sessions
        ${LEASE_COLUMNS}
      select ids.session_id, d.contract_id, d.id, d.user_name, ${value("role")}::role, ${value("sourceAddress")}::text,
             ${value("relayInstance")}::text, ids.history_id, ${value("leasePeer")}::text,
             ${value("accessEpoch")}::integer
      from ids, decided d where d.outcome = 'success'
      on conflict (user_id, role) do nothing
      returning id
    ), history_row as (
      insert into access_history
        ${HISTORY_COLUMNS}
      overriding system value
      select ids.history_id, d.contract_id, d.id, d.user_name, ${value("role")}::role, ${value("now")}::timestamptz,
             case when lease.id is null then ${value("now")}::timestamptz end,
             ${value("sourceAddress")}::text, ${value("mac")}::text,
             case when lease.id is null then 'failure' else 'success' end::attempt_result,
             case when d.outcome = 'locked' then ${value("lockedKey")}::text
                  when lease.id is null then ${value("failureKey")}::text end,
             case when d.outcome = 'locked' then ${value("lockedCode")}::integer
                  when lease.id is null then ${value("failureCode")}::integer end,
             ${value("product")}::product, ${value("edition")}::edition,
             case when lease.id is not null then ${value("peer")}::text end,
             lease.id
      from ids cross join decided d left join lease on true
      returning id, session_id
    )
    select d.outcome, d.failed_count as "priorCount", d.locked_until as "priorLockedUntil",
           (select h.id from history_row h) as "historyId", (select h.session_id from history_row h) as "sessionId"
    from decided d`,
  ),
);
