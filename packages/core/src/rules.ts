/**
 * The authentication rules: one pure evaluation of an attempt against an account and the current state,
 * returning either what to record on success or the reason for failure. No I/O; the clock comes in as
 * `state.now`, and the password is verified by the caller (argon2 is async; see below).
 *
 * Evaluation order — when several things are wrong at once, the reason recorded is the first of:
 *
 *   0. unknown user (no account)               → unknown-user, no history row
 *   1. lockout (ours)                          → locked-out
 *   2. password                                → password-mismatch-viewer / -client
 *   3. client not permitted (client)           → client-not-allowed (legacy) / application-not-permitted (neo)
 *   4. product not permitted / mobile use      → product-not-allowed-* (legacy) / application-not-permitted (neo)
 *   5. USB key binding (usb, fingerprint)      → usb-key-not-bound
 *   6. edition policy (legacy viewers)         → plus-not-allowed / non-plus-not-allowed
 *   7. MAC allow-list (legacy)                 → mac-not-allowed
 *   8. IP allow-list                           → ip-not-allowed
 *   9. terminal authentication (terminal, mobile viewers)
 *        legacy: 190100, 170400 / 180200 / 190500, or register into the empty slot (info 200200)
 *        neo:    200300, 190500, 200400, or register a new device
 *  10. duplicate session                       → duplicate-viewer / duplicate-client
 *
 * Why this order (ours; the sources don't give one): who you are comes before what you may do, and
 * what you may do before where you are. Lockout comes first so a locked account leaks nothing about
 * whether the guessed password was right. The password comes before everything else so that a stranger
 * who knows only a user name learns nothing from the history about the account's settings. The
 * terminal-auth check comes late because it may *register* a device, which must only happen for an
 * attempt that passes every other rule. The duplicate check is last because it concerns the session,
 * not the credentials.
 *
 * Which checks apply to which model follows docs/domain.md: the neo model lists no MAC, edition or
 * 200200 reasons, so neo skips MAC and edition checks and registers devices without an info row.
 * Sessions (one viewer and one client per user name) apply to both models.
 *
 * Password: `attempt.passwordOk` is the caller's result of `verifySecret` (or `verifyAgainstDummy`
 * for an unknown user). The caller must verify even when the account is locked, so a locked account
 * costs the same time as an open one.
 *
 * Lockout (`afterPasswordFailure`): every wrong password counts, locked or not, so N wrong attempts
 * leave a count of N however they interleave; each time the count reaches a multiple of the threshold
 * the user is locked for the policy's duration; a success resets the count. The rule is stated so that
 * a database can apply it in one atomic statement on the row as it is after the hash (`failed_count =
 * failed_count + 1 … returning`); the relay's statement (`settleAttempt` in @tsunagi/db)
 * mirrors this function and must change with it.
 */

import { addressAllowed, macAllowed } from "./address.js";
import {
  type Edition,
  familyOf,
  type Model,
  type Product,
  type ProductType,
  type Role,
  type SlotKind,
  slotOf,
  type UserType,
} from "./domain.js";
import type { ReasonKey } from "./reasons.js";

/**
 * The stale window: an open session is stale once its last heartbeat is this many seconds old; then it
 * no longer blocks a new one. The one definition: the database's default and the relay's configurable
 * window start from it.
 */
export const SESSION_STALE_SECONDS = 60;

/**
 * The identity a terminal-auth or mobile viewer presents (docs/domain.md "Terminal authentication and slots", ours). The relay passes it only
 * after the viewer has signed the challenge with `installPublicKey`'s private key: an unproven device
 * is passed as no device, which a slot treats as a viewer without terminal-auth support.
 */
export interface DeviceIdentity {
  readonly machineId: string;
  readonly osUser: string;
  /** The install key, in the wire's form (base64 SPKI DER); compared as text. */
  readonly installPublicKey: string;
}

interface AttemptCommon {
  /** The caller's password verification result (see the module header). */
  readonly passwordOk: boolean;
  readonly sourceAddress: string;
  readonly mac?: string | undefined;
}

export interface ViewerAttempt extends AttemptCommon {
  readonly role: "viewer";
  readonly product: Product;
  /** Omitted means standard: only the Plus viewer announces itself. */
  readonly edition?: Edition | undefined;
  readonly device?: DeviceIdentity | undefined;
  readonly usbKeySerial?: string | undefined;
  /** The client user name the viewer wants to reach; not an authentication matter (see `mayReach`). */
  readonly target?: string | undefined;
}

export interface ClientAttempt extends AttemptCommon {
  readonly role: "client";
}

export type Attempt = ViewerAttempt | ClientAttempt;

export interface Permissions {
  /** The product type the viewer may be; null when no viewer product is assigned. */
  readonly viewerProduct: ProductType | null;
  readonly viewerUsable: boolean;
  /** A mobile viewer may be used beside the viewer product. */
  readonly mobileConcurrentUse: boolean;
  readonly clientUsable: boolean;
  /** The edition the user's viewer is: Plus (security check) or standard. */
  readonly edition: Edition;
  /** For a Plus user: the standard viewer may be used too. */
  readonly allowNonPlusConcurrentUse: boolean;
}

/**
 * The permissions of anything that carries them (a user row has many more columns), field by field:
 * what the relay judges an attempt on and what the admin API compares before and after a change.
 */
export function permissionsOf(source: Permissions): Permissions {
  return {
    viewerProduct: source.viewerProduct,
    viewerUsable: source.viewerUsable,
    mobileConcurrentUse: source.mobileConcurrentUse,
    clientUsable: source.clientUsable,
    edition: source.edition,
    allowNonPlusConcurrentUse: source.allowNonPlusConcurrentUse,
  };
}

/** Per role: null allows every connection; a list allows only the listed ones. */
export interface PerRole<T> {
  readonly viewer: T | null;
  readonly client: T | null;
}

export interface Account {
  readonly model: Model;
  readonly userName: string;
  readonly userType: UserType;
  readonly permissions: Permissions;
  /** The serial of the USB key bound to this user name; null when none is. */
  readonly boundUsbKeySerial: string | null;
  /** CIDR ranges or addresses (see `parseCidr`). */
  readonly ipAllow: PerRole<readonly string[]>;
  /** MAC addresses in any spelling (see `normaliseMac`). */
  readonly macAllow: PerRole<readonly string[]>;
  /** Neo: how many devices the user may register. */
  readonly neoDeviceLimit: number;
  /** Neo: whether new devices may register at all; closed means an unknown device fails with 200300. */
  readonly neoRegistrationOpen: boolean;
  /** Mobile-viewer password saving (docs/domain.md "User management and batch management"). */
  readonly mayStoreLoginPassword: boolean;
  readonly mayStoreOsLogonPassword: boolean;
}

/** A session lease of the user as the rules see it: the role it holds and the time of its last heartbeat. */
export interface SessionLease {
  readonly sessionId: string;
  readonly role: Role;
  readonly lastHeartbeatAt: Date;
}

export interface FailureCounter {
  /** Consecutive password failures since the last success (a lockout does not reset it). */
  readonly count: number;
  readonly lockedUntil: Date | null;
}

/** The contract's security settings: lock after `threshold` consecutive password failures. */
export interface LockoutPolicy {
  readonly threshold: number;
  readonly durationSeconds: number;
}

export interface GroupLink {
  readonly viewer: string;
  readonly client: string;
}

export interface State {
  /** Legacy terminal-auth slots: the registered identity, or null when unregistered / initialised. */
  readonly slots: { readonly pc: DeviceIdentity | null; readonly mobile: DeviceIdentity | null };
  /** Neo: the user's registered devices. */
  readonly neoDevices: readonly DeviceIdentity[];
  /** This user's open sessions, both roles. */
  readonly sessions: readonly SessionLease[];
  readonly failures: FailureCounter;
  readonly lockoutPolicy: LockoutPolicy;
  readonly groupLinks: readonly GroupLink[];
  readonly now: Date;
}

export interface ViewerPolicy {
  readonly mayStoreLoginPassword: boolean;
  readonly mayStoreOsLogonPassword: boolean;
}

export interface SessionToOpen {
  readonly role: Role;
  readonly userName: string;
  readonly product?: Product | undefined;
  readonly edition?: Edition | undefined;
  readonly sourceAddress: string;
  readonly mac?: string | undefined;
  readonly openedAt: Date;
}

export interface Success {
  readonly ok: true;
  readonly record: {
    /** Legacy: the empty slot this device registers into. Neo: `kind` is the product's slot kind. */
    readonly registerSlot?: { readonly kind: SlotKind; readonly identity: DeviceIdentity };
    /** Legacy: the info row (200200) that accompanies a registration. */
    readonly info?: "terminal-auth-registered";
    readonly openSession: SessionToOpen;
    /** Stale sessions of the same role the new one replaces: close them. */
    readonly closeStaleSessions: readonly string[];
    readonly viewerPolicy: ViewerPolicy;
    /** Viewer only: the client user names it may reach. */
    readonly reachableClients?: readonly string[];
    /** A success resets the failure counter. */
    readonly failures: FailureCounter;
  };
}

export interface Failure {
  readonly ok: false;
  readonly reason: ReasonKey;
  /** False only for unknown-user: the attempt can't be tied to a contract, so no history row. */
  readonly recordHistory: boolean;
  /** The failure counter to store; absent when it doesn't change. */
  readonly failures?: FailureCounter;
}

export type Evaluation = Success | Failure;

/** The result for an attempt naming a server or user that doesn't exist. */
export function evaluateUnknownUser(): Failure {
  return { ok: false, reason: "unknown-user", recordHistory: false };
}

const fail = (reason: ReasonKey, failures?: FailureCounter): Failure =>
  failures === undefined
    ? { ok: false, reason, recordHistory: true }
    : { ok: false, reason, recordHistory: true, failures };

/** Whether a lockout is in force at `now`. */
export function isLockedOut(failures: FailureCounter, now: Date): boolean {
  return failures.lockedUntil !== null && failures.lockedUntil.getTime() > now.getTime();
}

/**
 * The counter after one more password failure: the count goes up by one, locked or not, and each time
 * it reaches a multiple of the threshold the user is locked for the policy's duration from `now` (a
 * lock in force is extended). Otherwise the lock is kept as it was (an expired one is in force no more).
 * Never reset here: only a success resets, so N wrong attempts leave a count of N, which an atomic
 * `failed_count + 1` in the database can mirror (see the module header).
 */
export function afterPasswordFailure(
  failures: FailureCounter,
  policy: LockoutPolicy,
  now: Date,
): FailureCounter {
  const count = failures.count + 1;
  const locks = policy.threshold > 0 && count % policy.threshold === 0;
  return {
    count,
    lockedUntil: locks ? new Date(now.getTime() + policy.durationSeconds * 1000) : failures.lockedUntil,
  };
}

/**
 * Decide one attempt. `account` null means the server or user name is unknown. The result is
 * everything the relay records: see `Success.record` and `Failure`.
 */
export function evaluateAttempt(attempt: Attempt, account: Account | null, state: State): Evaluation {
  if (account === null) return evaluateUnknownUser();
  const { now } = state;

  // 1. Lockout (ours). A wrong password still counts while locked (see `afterPasswordFailure`).
  if (isLockedOut(state.failures, now)) {
    return attempt.passwordOk
      ? fail("locked-out")
      : fail("locked-out", afterPasswordFailure(state.failures, state.lockoutPolicy, now));
  }

  // 2. Password.
  if (!attempt.passwordOk) {
    const failures = afterPasswordFailure(state.failures, state.lockoutPolicy, now);
    return fail(
      attempt.role === "viewer" ? "password-mismatch-viewer" : "password-mismatch-client",
      failures,
    );
  }

  // 3–4. Program permissions.
  const permission =
    attempt.role === "client" ? clientPermission(account) : viewerPermission(attempt, account);
  if (permission !== null) return fail(permission);

  if (attempt.role === "viewer") {
    // 5. USB key binding.
    const family = familyOf(attempt.product);
    if ((family === "usb" || family === "fingerprint") && !usbKeyMatches(attempt, account)) {
      return fail("usb-key-not-bound");
    }
    // 6. Edition policy.
    if (account.model === "legacy") {
      const edition = editionReason(attempt, account.permissions);
      if (edition !== null) return fail(edition);
    }
  }

  // 7. MAC allow-list (legacy only; the neo page lists no MAC restriction).
  const macList = account.macAllow[attempt.role];
  if (account.model === "legacy" && macList !== null && !macAllowed(attempt.mac, macList)) {
    return fail("mac-not-allowed");
  }

  // 8. IP allow-list.
  const ipList = account.ipAllow[attempt.role];
  if (ipList !== null && !addressAllowed(attempt.sourceAddress, ipList)) return fail("ip-not-allowed");

  // 9. Terminal authentication.
  let registration: Pick<Success["record"], "registerSlot" | "info"> = {};
  if (attempt.role === "viewer") {
    const terminal =
      account.model === "legacy"
        ? legacyTerminalAuth(attempt, state)
        : neoTerminalAuth(attempt, account, state);
    if (!terminal.ok) return fail(terminal.reason);
    registration = terminal.registration;
  }

  // 10. Duplicate session, with the one-minute stale window.
  const sameRole = state.sessions.filter((session) => session.role === attempt.role);
  const live = sameRole.filter((session) => !isStale(session, now));
  if (live.length > 0) return fail(attempt.role === "viewer" ? "duplicate-viewer" : "duplicate-client");

  const mobile = attempt.role === "viewer" && familyOf(attempt.product) === "mobile";
  return {
    ok: true,
    record: {
      ...registration,
      openSession: {
        role: attempt.role,
        userName: account.userName,
        product: attempt.role === "viewer" ? attempt.product : undefined,
        edition: attempt.role === "viewer" ? (attempt.edition ?? "standard") : undefined,
        sourceAddress: attempt.sourceAddress,
        mac: attempt.mac,
        openedAt: now,
      },
      closeStaleSessions: sameRole.map((session) => session.sessionId),
      // Password saving is a mobile-viewer setting; every other program is told no.
      viewerPolicy: {
        mayStoreLoginPassword: mobile && account.mayStoreLoginPassword,
        mayStoreOsLogonPassword: mobile && account.mayStoreOsLogonPassword,
      },
      ...(attempt.role === "viewer"
        ? { reachableClients: reachableClients(account.userName, state.groupLinks) }
        : {}),
      failures: { count: 0, lockedUntil: null },
    },
  };
}

/** A session whose last heartbeat is a minute old or more no longer holds the user name. */
export function isStale(session: SessionLease, now: Date): boolean {
  return now.getTime() - session.lastHeartbeatAt.getTime() >= SESSION_STALE_SECONDS * 1000;
}

function clientPermission(account: Account): ReasonKey | null {
  const allowed = account.userType !== "device-dedicated" && account.permissions.clientUsable;
  if (allowed) return null;
  switch (account.model) {
    case "legacy":
      return "client-not-allowed";
    case "neo":
      return "application-not-permitted";
  }
}

/**
 * Whether the permissions allow this product. The viewer product must match exactly (a USB NDL
 * permission doesn't admit a fingerprint NDL key: they are different products); a mobile product is
 * also allowed when the product type is mobile or mobile concurrent use is ticked.
 */
export function productAllowed(product: Product, permissions: Permissions): boolean {
  if (!permissions.viewerUsable || permissions.viewerProduct === null) return false;
  if (familyOf(product) === "mobile") {
    return permissions.viewerProduct === "mobile" || permissions.mobileConcurrentUse;
  }
  return permissions.viewerProduct === product;
}

function viewerPermission(attempt: ViewerAttempt, account: Account): ReasonKey | null {
  if (productAllowed(attempt.product, account.permissions)) return null;
  switch (account.model) {
    case "legacy":
      return productNotAllowedReason(attempt.product);
    case "neo":
      return "application-not-permitted";
  }
}

/** The legacy per-product reason: the code names the product line the viewer reported. */
export function productNotAllowedReason(product: Product): ReasonKey {
  switch (product) {
    case "usb-ndl":
    case "fingerprint-ndl":
      return "product-not-allowed-ndl";
    case "usb-xdl":
    case "fingerprint-xdl":
      return "product-not-allowed-xdl";
    case "usb-ex":
    case "fingerprint-ex":
      return "product-not-allowed-ex";
    // Mobile Windows / Mac report themselves as NDL.S.
    case "terminal-ndl-s":
    case "mobile-windows":
    case "mobile-mac":
      return "product-not-allowed-ndl-s";
    case "terminal-xdl-s":
      return "product-not-allowed-xdl-s";
    case "terminal-ex-s":
      return "product-not-allowed-ex-s";
    case "mobile-ios":
    case "mobile-android":
      return "product-not-allowed-mobile-ndl";
  }
}

function usbKeyMatches(attempt: ViewerAttempt, account: Account): boolean {
  return (
    account.boundUsbKeySerial !== null &&
    attempt.usbKeySerial !== undefined &&
    attempt.usbKeySerial.trim() === account.boundUsbKeySerial.trim()
  );
}

/**
 * Edition policy. A Plus viewer needs a Plus user; a standard viewer at a Plus user needs "allow
 * non-Plus concurrent use". iOS and Android viewers have no Plus edition, so the second rule doesn't
 * apply to them (the seed's response steps for 140200 non-Plus name only USB and terminal-auth types).
 */
function editionReason(attempt: ViewerAttempt, permissions: Permissions): ReasonKey | null {
  const edition = attempt.edition ?? "standard";
  switch (edition) {
    case "plus":
      return permissions.edition === "plus" ? null : "plus-not-allowed";
    case "standard": {
      if (permissions.edition === "standard" || permissions.allowNonPlusConcurrentUse) return null;
      return attempt.product === "mobile-ios" || attempt.product === "mobile-android"
        ? null
        : "non-plus-not-allowed";
    }
  }
}

type TerminalOutcome =
  | { readonly ok: true; readonly registration: Pick<Success["record"], "registerSlot" | "info"> }
  | { readonly ok: false; readonly reason: ReasonKey };

/**
 * Legacy: the product's slot. Empty → register (info 200200). Registered → the identity must match;
 * which part differs picks the code (ours): another machine 170400, another OS user 180200, a new
 * install 190500. No proven identity at all → 190100.
 */
function legacyTerminalAuth(attempt: ViewerAttempt, state: State): TerminalOutcome {
  const kind = slotOf(attempt.product);
  if (kind === null) return { ok: true, registration: {} };
  const device = attempt.device;
  if (device === undefined) return { ok: false, reason: "terminal-auth-unsupported-viewer" };
  const registered = state.slots[kind];
  if (registered === null) {
    return {
      ok: true,
      registration: { registerSlot: { kind, identity: device }, info: "terminal-auth-registered" },
    };
  }
  const mismatch = identityMismatch(registered, device);
  return mismatch === null ? { ok: true, registration: {} } : { ok: false, reason: mismatch };
}

/** Which part of the identity differs, as the legacy reason; null when it is the same device. */
export function identityMismatch(registered: DeviceIdentity, presented: DeviceIdentity): ReasonKey | null {
  if (registered.machineId !== presented.machineId) return "terminal-auth-mismatch-machine";
  if (registered.osUser !== presented.osUser) return "terminal-auth-mismatch-os-user";
  if (registered.installPublicKey !== presented.installPublicKey) return "terminal-auth-mismatch-install";
  return null;
}

/**
 * Neo: a list of registered devices up to a limit. A known machine with another OS user or install
 * → 190500. An unknown machine registers while registration is open and the limit allows; otherwise
 * 200300 (registration closed, or no identity presented) or 200400 (limit reached).
 */
function neoTerminalAuth(attempt: ViewerAttempt, account: Account, state: State): TerminalOutcome {
  const kind = slotOf(attempt.product);
  if (kind === null) return { ok: true, registration: {} };
  const device = attempt.device;
  if (device === undefined) return { ok: false, reason: "device-mismatch" };
  const known = state.neoDevices.find((registered) => registered.machineId === device.machineId);
  if (known !== undefined) {
    return identityMismatch(known, device) === null
      ? { ok: true, registration: {} }
      : { ok: false, reason: "neo-reinstalled" };
  }
  if (!account.neoRegistrationOpen) return { ok: false, reason: "device-mismatch" };
  if (state.neoDevices.length >= account.neoDeviceLimit) return { ok: false, reason: "device-limit-reached" };
  return { ok: true, registration: { registerSlot: { kind, identity: device } } };
}

/**
 * The client user names a viewer may reach: its own user name (standard connection) plus every client
 * linked to it by grouping. Sorted and without repeats, so the relay can show it as is.
 */
export function reachableClients(viewerUser: string, links: readonly GroupLink[]): string[] {
  const names = new Set([viewerUser]);
  for (const link of links) if (link.viewer === viewerUser) names.add(link.client);
  return [...names].sort();
}

/** Whether the viewer may reach the target client. */
export function mayReach(viewerUser: string, targetClient: string, links: readonly GroupLink[]): boolean {
  return (
    viewerUser === targetClient ||
    links.some((link) => link.viewer === viewerUser && link.client === targetClient)
  );
}
