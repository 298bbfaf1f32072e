/**
 * One authentication attempt against the database: look the user up, verify the password (bounded by
 * the hash semaphore), let core's rules decide, and write what they decide — the history row, the
 * failure counter, a device registration, the session lease. The person-facing side never sees the
 * reason; this module returns only success, failure, or "the service is unavailable".
 *
 * Every failure costs the same: one argon2 verification (a dummy one for an unknown user or server)
 * and the same two statements, one round trip each (see @tsunagi/db's handshake queries), whether the
 * user is unknown, the password wrong, the user locked, or the right password refused by a rule. A
 * success costs the same two, unless it registers a device or takes over a lapsed lease; an attempt
 * whose account changed between the two (a racing login, an admin's edit) is decided again on a fresh
 * read. What the agent reports about itself is recorded in its format or as invalid, never as sent
 * (core's fields.ts).
 */
import { addressAllowed } from "@tsunagi/core/address";
import { recordedMac } from "@tsunagi/core/fields";
import { verifyAgainstDummy, verifySecret } from "@tsunagi/core/password";
import { type ReasonKey, reasonEntry } from "@tsunagi/core/reasons";
import {
  type Account,
  type ClientAttempt,
  type DeviceIdentity,
  type Evaluation,
  evaluateAttempt,
  identityMismatch,
  permissionsOf,
  type State,
  type Success,
  type ViewerAttempt,
} from "@tsunagi/core/rules";
import type { Hello } from "@tsunagi/core/wire";
import {
  type AttemptPlan,
  type AttemptState,
  type AttemptToSettle,
  attachSession,
  type Database,
  failRecordedAttempt,
  findUserForAttempt,
  openSession,
  readAttemptState,
  recordAttempt,
  recordFailedAttempt,
  recordSuccessAndOpenSession,
  registerDevice,
  resetFailureCounter,
  settleAttempt,
  type UserForAttempt,
} from "@tsunagi/db";
import type { Semaphore } from "./semaphore.js";

export interface AuthDeps {
  readonly db: Database;
  readonly hashes: Semaphore;
  readonly staleAfterSeconds: number;
  readonly relayInstance: string;
  readonly now: () => Date;
  readonly onDatabaseError?: (error: unknown) => void;
  /** An attempt's database time, its password verification (and the wait for it) left out: metrics.ts. */
  readonly onDatabaseSeconds?: (seconds: number) => void;
}

export interface AuthRequest {
  readonly hello: Hello;
  /** The device identity, only when its install key signed the challenge. */
  readonly provenDevice: DeviceIdentity | undefined;
  readonly sourceAddress: string;
}

export interface AuthSuccess {
  readonly kind: "success";
  readonly sessionId: string;
  readonly historyId: number;
  readonly contractId: string;
  readonly userId: string;
  readonly reachableClients: readonly string[];
  readonly policy: { mayStoreLoginPassword: boolean; mayStoreOsLogonPassword: boolean };
}

export type AuthOutcome =
  | AuthSuccess
  | { readonly kind: "failure" }
  /** The database could not be reached: not an authentication result, nothing recorded. */
  | { readonly kind: "unavailable" }
  /** The verification queue is full. */
  | { readonly kind: "busy" };

/** Runs one attempt; database errors become "unavailable" so a blip never reads as a wrong password. */
export async function authenticate(deps: AuthDeps, request: AuthRequest): Promise<AuthOutcome> {
  const timing = { started: performance.now(), verifyingMs: 0 };
  try {
    return await attempt(deps, request, timing);
  } catch (error) {
    if (error instanceof HashQueueFull) return { kind: "busy" };
    deps.onDatabaseError?.(error);
    return { kind: "unavailable" };
  } finally {
    deps.onDatabaseSeconds?.((performance.now() - timing.started - timing.verifyingMs) / 1000);
  }
}

class HashQueueFull extends Error {}

async function attempt(
  deps: AuthDeps,
  request: AuthRequest,
  timing: { verifyingMs: number },
): Promise<AuthOutcome> {
  const { db } = deps;
  const { hello } = request;
  // Round trip 1, before the verification: the hash and everything the rules read, with its fingerprint.
  const read = await readAttemptState(db, hello.server, hello.user, deps.staleAfterSeconds);
  const found = read?.state ?? null;
  // Verify before anything else is decided, and for an unknown user too: the time taken must not
  // tell which user names exist, nor whether an account is locked.
  const verifying = performance.now();
  const verified = await deps.hashes.run(() =>
    found ? verifySecret(found.user.passwordHash, hello.password) : verifyAgainstDummy(hello.password),
  );
  timing.verifyingMs = performance.now() - verifying;
  if (verified === null) throw new HashQueueFull();
  const now = deps.now();
  // (ours) A wrong password from an address the user's IP allow-list refuses does not count towards the
  // lockout: a lock ends the user's live sessions, and anyone anywhere could otherwise end them at will.
  // The attempt is still recorded (its reason is the wrong password, the rules' first failure).
  const ipList = found
    ? hello.role === "viewer"
      ? found.user.ipAllowViewer
      : found.user.ipAllowClient
    : null;
  const countsFailure = ipList === null || addressAllowed(request.sourceAddress, ipList);

  // The rules decide on round trip 1's state, the lockout aside: round trip 2 decides that on the row
  // as it is after the hash (the verification may have queued), and writes this decision only if the
  // rest of the account is as it was read; else it only counts, and the attempt is decided again below.
  const plan = found ? planOf(deps, request, found, verified.value, now) : null;
  const settled = await settleAttempt(db, {
    userId: found?.user.id ?? null,
    fingerprint: read?.fingerprint ?? null,
    passwordOk: verified.value,
    countsFailure,
    now,
    staleAfterSeconds: deps.staleAfterSeconds,
    row: settleRowOf(request, plan?.row),
    lockedOut: LOCKED_OUT,
    // An unknown user runs the same statement with a failure's plan, matching nothing.
    plan: plan?.plan ?? { kind: "failure", reasonKey: "unknown-user", reasonCode: null },
  });
  // Unknown, or deleted since round trip 1.
  if (!found || !plan || !settled) return { kind: "failure" };
  switch (settled.outcome) {
    case "locked":
    case "failure":
    case "lost":
      return { kind: "failure" };
    case "success": {
      const { record } = plan.evaluation as Success;
      return {
        kind: "success",
        sessionId: settled.sessionId,
        historyId: settled.historyId,
        contractId: found.contract.id,
        userId: found.user.id,
        reachableClients: record.reachableClients ?? [],
        policy: record.viewerPolicy,
      };
    }
    default:
      return decideAgain(deps, request, found.user.passwordHash, verified.value, settled.prior, now);
  }
}

const LOCKED_OUT = { reasonKey: "locked-out", reasonCode: reasonEntry("locked-out").code };

/** What the rules decide on round trip 1's state with the password's result, the lockout left to the database. */
function planOf(
  deps: AuthDeps,
  request: AuthRequest,
  found: AttemptState,
  passwordOk: boolean,
  now: Date,
): { evaluation: Evaluation; plan: AttemptPlan; row: HistoryBase } {
  const { hello } = request;
  // Unlocked: rules 2–10 never read the counter, and a lock in force is the database's to find.
  const state = stateOf(found, found.sessions, now, { count: found.user.failedCount, lockedUntil: null });
  const evaluation = evaluateAttempt(attemptOf(request, passwordOk), accountOf(found), state);
  const row = historyBase(found, request);
  if (!evaluation.ok) {
    const { code } = reasonEntry(evaluation.reason);
    return { evaluation, row, plan: { kind: "failure", reasonKey: evaluation.reason, reasonCode: code } };
  }
  // A device to register, or a lapsed lease of this role to take over: written after a fresh read.
  if (evaluation.record.registerSlot || found.sessions.some((s) => s.role === hello.role)) {
    return { evaluation, row, plan: { kind: "defer" } };
  }
  const duplicate: ReasonKey = hello.role === "viewer" ? "duplicate-viewer" : "duplicate-client";
  return {
    evaluation,
    row,
    plan: {
      kind: "success",
      lease: {
        relayInstance: deps.relayInstance,
        peerUserName: row.peerUserName ?? null,
        // What the rules decided on: a change that takes access away after round trip 1 either changed
        // the fingerprint (nothing written) or advances the user's epoch past this, and the heartbeat
        // ends the session.
        accessEpoch: found.user.accessEpoch,
      },
      lost: { reasonKey: duplicate, reasonCode: reasonEntry(duplicate).code },
    },
  };
}

/** The history row's fields of round trip 2 (the user's own come from its row); an unknown user's are empty. */
function settleRowOf(request: AuthRequest, row: HistoryBase | undefined): AttemptToSettle["row"] {
  return {
    role: request.hello.role,
    sourceAddress: row?.sourceAddress ?? null,
    mac: row?.mac ?? null,
    product: row?.product ?? null,
    edition: row?.edition ?? null,
    peerUserName: row?.peerUserName ?? null,
  };
}

/**
 * The account changed between the two round trips, or the success registers a device or takes over a
 * lapsed lease: the attempt is counted already (round trip 2, whose `prior` counter the rules decide
 * on), and decided again on a fresh read, as it is now.
 */
async function decideAgain(
  deps: AuthDeps,
  request: AuthRequest,
  verifiedHash: string,
  verified: boolean,
  prior: { count: number; lockedUntil: Date | null },
  now: Date,
): Promise<AuthOutcome> {
  const { db } = deps;
  const { hello } = request;
  const again = await readAttemptState(db, hello.server, hello.user, deps.staleAfterSeconds);
  if (!again) return { kind: "failure" };
  const current = again.state;

  const state = stateOf(current, current.sessions, now, prior);
  // A password changed since round trip 1 makes the verification moot: it was against the old hash.
  const passwordOk = verified && current.user.passwordHash === verifiedHash;
  const attemptData = attemptOf(request, passwordOk);
  const evaluation: Evaluation = evaluateAttempt(attemptData, accountOf(current), state);

  const row = historyBase(current, request);
  if (!evaluation.ok) {
    // The counter `evaluation.failures` describes was already stored by round trip 2 (the SQL mirrors
    // core's afterPasswordFailure); this records the row.
    await recordFailure(db, row, evaluation.reason, now);
    return { kind: "failure" };
  }

  const { record } = evaluation;
  // A success resets the counter: written only when there is something to reset.
  if (prior.count !== 0 || prior.lockedUntil !== null) {
    await resetFailureCounter(db, current.user.id, prior.count);
  }

  if (record.registerSlot) {
    // Neo counts a user's devices across both slots; a legacy slot holds one device.
    const neo = current.contract.model === "neo";
    const registered = await registerDevice(
      db,
      current.user.id,
      record.registerSlot.kind,
      record.registerSlot.identity,
      neo ? (current.user.neoDeviceLimit ?? current.contract.neoDeviceLimit) : 1,
      neo ? "user" : "slot",
    );
    if (registered === null) {
      // Another device took the last place between our read and our write: decide again as the
      // rules would have, had it been there already.
      const reason = await lostRegistrationReason(deps, current, request, record.registerSlot);
      await recordFailure(db, row, reason, now);
      return { kind: "failure" };
    }
    if (record.info) await recordFailure(db, row, record.info, now);
  }

  // A racing login of the same user and role that wins the lease makes this one the second
  // viewer/client.
  const duplicate: ReasonKey = hello.role === "viewer" ? "duplicate-viewer" : "duplicate-client";
  const lease = {
    contractId: current.contract.id,
    userId: current.user.id,
    userName: current.user.userName,
    role: hello.role,
    sourceAddress: request.sourceAddress,
    relayInstance: deps.relayInstance,
    peerUserName: row.peerUserName ?? null,
    // What the rules decided on: a change that takes access away after this read advances the user's
    // epoch past this, and the heartbeat ends the session.
    accessEpoch: current.user.accessEpoch,
  };
  let opened: { historyId: number; sessionId: string } | null;
  if (current.sessions.some((s) => s.role === hello.role)) {
    // A stale lease of this role (a live one fails in the rules): taken over, its row ended first.
    const success = await recordAttempt(db, { ...row, result: "success", startedAt: now });
    const session = await openSession(db, { ...lease, historyId: success.id }, deps.staleAfterSeconds);
    if (session === null) {
      await failRecordedAttempt(db, success.id, duplicate, reasonEntry(duplicate).code);
      return { kind: "failure" };
    }
    await attachSession(db, success.id, session.id);
    opened = { historyId: success.id, sessionId: session.id };
  } else {
    // No lease of this role: the row and the lease in one statement (the lease index decides a race).
    const result = await recordSuccessAndOpenSession(
      db,
      { ...row, result: "success", startedAt: now },
      lease,
      {
        reasonKey: duplicate,
        reasonCode: reasonEntry(duplicate).code,
      },
    );
    opened = result.opened ? result : null;
  }
  if (opened === null) return { kind: "failure" };
  return {
    kind: "success",
    sessionId: opened.sessionId,
    historyId: opened.historyId,
    contractId: current.contract.id,
    userId: current.user.id,
    reachableClients: record.reachableClients ?? [],
    policy: record.viewerPolicy,
  };
}

type HistoryBase = Parameters<typeof recordAttempt>[1];

function historyBase(found: UserForAttempt, request: AuthRequest): HistoryBase {
  const { hello } = request;
  // Canonical, or "invalid": a MAC that does not parse is never recorded as sent.
  const mac = recordedMac(hello.mac);
  const common = {
    contractId: found.contract.id,
    userId: found.user.id,
    userName: found.user.userName,
    role: hello.role,
    sourceAddress: request.sourceAddress,
    mac,
    result: "failure" as const,
  };
  if (hello.role === "client") return common;
  return {
    ...common,
    product: hello.product,
    edition: hello.edition ?? "standard",
    // Extended display: the target client of a viewer row.
    peerUserName: hello.target ?? hello.user,
  };
}

async function recordFailure(db: Database, row: HistoryBase, reason: ReasonKey, at: Date): Promise<void> {
  const entry = reasonEntry(reason);
  await recordFailedAttempt(
    db,
    {
      ...row,
      // A failed attempt starts and ends at once; the 200200 registration row is "info", not an error.
      result: entry.severity === "info" ? "info" : "failure",
      reasonKey: reason,
      reasonCode: entry.code,
      startedAt: at,
      endedAt: at,
      // Only a success has a peer: a failed viewer reached nobody.
      peerUserName: null,
    },
    { role: row.role },
  );
}

/** The reason for a device that lost the race for the last free place. */
async function lostRegistrationReason(
  deps: AuthDeps,
  found: UserForAttempt,
  request: AuthRequest,
  wanted: { kind: "pc" | "mobile"; identity: DeviceIdentity },
): Promise<ReasonKey> {
  if (found.contract.model === "neo") return "device-limit-reached";
  const again = await findUserForAttempt(deps.db, request.hello.server, request.hello.user);
  const winner = again?.registrations.find((r) => r.slot === wanted.kind && r.seq === 0);
  const mismatch = winner ? identityMismatch(identityOf(winner), wanted.identity) : null;
  // The same identity winning twice cannot happen (one install key, one login); the fallback is defensive.
  return mismatch ?? "terminal-auth-mismatch-machine";
}

function attemptOf(request: AuthRequest, passwordOk: boolean): ViewerAttempt | ClientAttempt {
  const { hello } = request;
  const common = { passwordOk, sourceAddress: request.sourceAddress, mac: hello.mac };
  if (hello.role === "client") return { ...common, role: "client" };
  return {
    ...common,
    role: "viewer",
    product: hello.product,
    edition: hello.edition,
    device: request.provenDevice,
    usbKeySerial: hello.usbKeySerial,
    target: hello.target,
  };
}

export function accountOf(found: UserForAttempt): Account {
  const { user, contract } = found;
  return {
    model: contract.model,
    userName: user.userName,
    userType: user.userType,
    permissions: permissionsOf(user),
    boundUsbKeySerial: user.usbKeySerial,
    ipAllow: { viewer: user.ipAllowViewer, client: user.ipAllowClient },
    macAllow: { viewer: user.macAllowViewer, client: user.macAllowClient },
    neoDeviceLimit: user.neoDeviceLimit ?? contract.neoDeviceLimit,
    neoRegistrationOpen: user.neoRegistrationOpen,
    mayStoreLoginPassword: user.mayStoreLoginPassword,
    mayStoreOsLogonPassword: user.mayStoreOsLogonPassword,
  };
}

function identityOf(r: { machineId: string; osUser: string; installPublicKey: string }): DeviceIdentity {
  return { machineId: r.machineId, osUser: r.osUser, installPublicKey: r.installPublicKey };
}

function stateOf(
  found: UserForAttempt,
  sessions: { id: string; role: "viewer" | "client"; stale: boolean }[],
  now: Date,
  failures: { count: number; lockedUntil: Date | null },
): State {
  const slot = (kind: "pc" | "mobile") => {
    const r = found.registrations.find((reg) => reg.slot === kind && reg.seq === 0);
    return r ? identityOf(r) : null;
  };
  return {
    slots: { pc: slot("pc"), mobile: slot("mobile") },
    neoDevices: found.registrations.map(identityOf),
    // The stale window is the relay's (configurable), not core's fixed minute: sessions stale by our
    // window are left out (the lease query takes them over), the rest are live as of now.
    sessions: sessions
      .filter((s) => !s.stale)
      .map((s) => ({ sessionId: s.id, role: s.role, lastHeartbeatAt: now })),
    // The counter as it was before this attempt (round trip 2 has already counted it): the rules decide
    // on the lock in force when the attempt was counted, not on one it set itself.
    failures,
    lockoutPolicy: {
      threshold: found.contract.lockoutThreshold,
      durationSeconds: found.contract.lockoutSeconds,
    },
    groupLinks: found.linkedClients.map((client) => ({ viewer: found.user.userName, client })),
    now,
  };
}
