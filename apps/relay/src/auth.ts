/**
 * One authentication attempt against the database: look the user up, verify the password (bounded by
 * the hash semaphore), let core's rules decide, and write what they decide — the history row, the
 * failure counter, a device registration, the session lease. The person-facing side never sees the
 * reason; this module returns only success, failure, or "the service is unavailable".
 *
 * Every failure costs the same: one argon2 verification (a dummy one for an unknown user or server)
 * and the same three statements (see @tsunagi/db's handshake queries), whether the user is unknown,
 * the password wrong, the user locked, or the right password refused by a rule; only a success costs
 * more. What the agent reports about itself is recorded in its format or as invalid, never as sent
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
  type ViewerAttempt,
} from "@tsunagi/core/rules";
import type { Hello } from "@tsunagi/core/wire";
import {
  attachSession,
  type BumpedAttemptState,
  bumpAndReadAttemptState,
  type Database,
  failRecordedAttempt,
  findUserForAttempt,
  openSession,
  passwordHashOf,
  recordAttempt,
  recordFailedAttempt,
  recordSuccessAndOpenSession,
  registerDevice,
  resetFailureCounter,
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
  // Statement 1. Before the verification only the hash is read: the rest is read after it anyway.
  const found = await passwordHashOf(db, hello.server, hello.user);
  // Verify before anything else is decided, and for an unknown user too: the time taken must not
  // tell which user names exist, nor whether an account is locked.
  const verifying = performance.now();
  const verified = await deps.hashes.run(() =>
    found ? verifySecret(found.passwordHash, hello.password) : verifyAgainstDummy(hello.password),
  );
  timing.verifyingMs = performance.now() - verifying;
  if (verified === null) throw new HashQueueFull();
  const now = deps.now();
  // Statement 2, on every path. The verification may have waited in the queue: decide on the account
  // as it is now (a device registered or a session opened meanwhile), not as it was when the attempt
  // arrived. One atomic statement counts a wrong password (`failed_count + 1`, locking at the
  // threshold and ending the user's live sessions) and reads the user, contract, registrations, links
  // and sessions after it. An unknown user runs it too, matching nothing; so does a user deleted
  // since statement 1.
  // (ours) A wrong password from an address the user's IP allow-list refuses does not count towards the
  // lockout: a lock ends the user's live sessions, and anyone anywhere could otherwise end them at will.
  // The attempt is still recorded (its reason is the wrong password, the rules' first failure).
  const ipList = found ? (hello.role === "viewer" ? found.ipAllowViewer : found.ipAllowClient) : null;
  const bumped = await bumpAndReadAttemptState(db, {
    userId: found?.userId ?? null,
    passwordOk: verified.value,
    countsFailure: ipList === null || addressAllowed(request.sourceAddress, ipList),
    now,
    staleAfterSeconds: deps.staleAfterSeconds,
  });
  if (!bumped) {
    // Statement 3's dummy: the same insert, recording nothing (no contract to tie the attempt to).
    await recordFailedAttempt(db, null, { role: hello.role });
    return { kind: "failure" };
  }
  const current = bumped.state;

  const state = stateOf(current, current.sessions, now, bumped);
  // A password changed since statement 1 makes the verification moot: it was against the old hash.
  const passwordOk = verified.value && found !== null && current.user.passwordHash === found.passwordHash;
  const attemptData = attemptOf(request, passwordOk);
  const evaluation: Evaluation = evaluateAttempt(attemptData, accountOf(current), state);

  const row = historyBase(current, request);
  if (!evaluation.ok) {
    // The counter `evaluation.failures` describes was already stored by statement 2 (the SQL mirrors
    // core's afterPasswordFailure); statement 3 records the row.
    await recordFailure(db, row, evaluation.reason, now);
    return { kind: "failure" };
  }

  const { record } = evaluation;
  // A success resets the counter: written only when there is something to reset.
  if (bumped.prior.count !== 0 || bumped.prior.lockedUntil !== null) {
    await resetFailureCounter(db, current.user.id, bumped.prior.count);
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
    // What the rules decided on: a change that takes access away after statement 2 advances the user's
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
  bumped: BumpedAttemptState,
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
    // The counter as it was before this attempt (statement 2 has already counted it): the rules decide
    // on the lock in force when the attempt was counted, not on one it set itself.
    failures: bumped.prior,
    lockoutPolicy: {
      threshold: found.contract.lockoutThreshold,
      durationSeconds: found.contract.lockoutSeconds,
    },
    groupLinks: found.linkedClients.map((client) => ({ viewer: found.user.userName, client })),
    now,
  };
}
