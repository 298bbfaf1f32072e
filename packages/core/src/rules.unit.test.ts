import { describe, expect, it } from "vitest";
import type { ReasonKey } from "./reasons.js";
import { reasons } from "./reasons.js";
import {
  type Account,
  type Attempt,
  afterPasswordFailure,
  evaluateAttempt,
  mayReach,
  reachableClients,
  type State,
} from "./rules.js";
import { account, client, deviceA, now, state, viewer } from "./testing/builders.js";

type Scenario = { attempt: Attempt; account: Account | null; state: State };

const legacy = (overrides: Partial<Account> = {}) => account({ model: "legacy", ...overrides });
const neo = (overrides: Partial<Account> = {}) => account({ model: "neo", ...overrides });
const perms = (overrides: Partial<Account["permissions"]>) => ({ ...account().permissions, ...overrides });
const secondsAgo = (s: number) => new Date(now.getTime() - s * 1000);

/**
 * One scenario per catalogue entry (docs/domain.md, docs/reasons.md). A Record over ReasonKey: a new reason without
 * a scenario fails to compile.
 */
const scenarios: Record<ReasonKey, Scenario> = {
  // Seed 002 Step 6: a viewer row "the password sent from the viewer does not match".
  "password-mismatch-viewer": { attempt: viewer({ passwordOk: false }), account: legacy(), state: state() },
  "password-mismatch-client": { attempt: client({ passwordOk: false }), account: legacy(), state: state() },
  // Seed 000: a USB NDL key at an account whose permissions name XDL.
  "product-not-allowed-ndl": {
    attempt: viewer({ product: "usb-ndl", usbKeySerial: "KEY-0001" }),
    account: legacy({ permissions: perms({ viewerProduct: "usb-xdl" }) }),
    state: state(),
  },
  "product-not-allowed-xdl": {
    attempt: viewer({ product: "fingerprint-xdl", usbKeySerial: "KEY-0001" }),
    account: legacy({ permissions: perms({ viewerProduct: "usb-ndl" }) }),
    state: state(),
  },
  "product-not-allowed-ex": {
    attempt: viewer({ product: "usb-ex", usbKeySerial: "KEY-0001" }),
    account: legacy({ permissions: perms({ viewerProduct: "usb-ndl" }) }),
    state: state(),
  },
  // Seed 001: "NDL.S" covers Mobile (Windows / Mac); mobile without concurrent use.
  "product-not-allowed-ndl-s": {
    attempt: viewer({ product: "mobile-windows" }),
    account: legacy({ permissions: perms({ mobileConcurrentUse: false }) }),
    state: state(),
  },
  "product-not-allowed-xdl-s": {
    attempt: viewer({ product: "terminal-xdl-s" }),
    account: legacy(),
    state: state(),
  },
  "product-not-allowed-ex-s": {
    attempt: viewer({ product: "terminal-ex-s" }),
    account: legacy(),
    state: state(),
  },
  "product-not-allowed-mobile-ndl": {
    attempt: viewer({ product: "mobile-ios" }),
    account: legacy({ permissions: perms({ mobileConcurrentUse: false }) }),
    state: state(),
  },
  // Seed 000: a device-dedicated account used on a target PC.
  "client-not-allowed": {
    attempt: client(),
    account: legacy({ userType: "device-dedicated" }),
    state: state(),
  },
  "usb-key-not-bound": {
    attempt: viewer({ product: "usb-ndl", usbKeySerial: "KEY-9999" }),
    account: legacy({ permissions: perms({ viewerProduct: "usb-ndl" }) }),
    state: state(),
  },
  "mac-not-allowed": {
    attempt: viewer({ mac: "00:00:00:00:00:01" }),
    account: legacy({ macAllow: { viewer: ["AA-BB-CC-DD-EE-FF"], client: null } }),
    state: state(),
  },
  "ip-not-allowed": {
    attempt: client({ sourceAddress: "192.0.2.1" }),
    account: legacy({ ipAllow: { viewer: null, client: ["198.51.100.0/24"] } }),
    state: state(),
  },
  // Seed 002: after initialising, the next login registers and records 200200 (asserted below as info).
  "terminal-auth-registered": {
    attempt: viewer(),
    account: legacy(),
    state: state({ slots: { pc: null, mobile: null } }),
  },
  "terminal-auth-mismatch-machine": {
    attempt: viewer({ device: { ...deviceA, machineId: "machine-b" } }),
    account: legacy(),
    state: state(),
  },
  "terminal-auth-mismatch-os-user": {
    attempt: viewer({ device: { ...deviceA, osUser: "bob" } }),
    account: legacy(),
    state: state(),
  },
  "terminal-auth-mismatch-install": {
    attempt: viewer({ device: { ...deviceA, installPublicKey: "bmV3LWluc3RhbGw=" } }),
    account: legacy(),
    state: state(),
  },
  // Seed 000: the viewer was deleted and reinstalled and presents no terminal-auth info.
  "terminal-auth-unsupported-viewer": {
    attempt: viewer({ device: undefined }),
    account: legacy(),
    state: state(),
  },
  "plus-not-allowed": { attempt: viewer({ edition: "plus" }), account: legacy(), state: state() },
  "non-plus-not-allowed": {
    attempt: viewer({ edition: "standard" }),
    account: legacy({ permissions: perms({ edition: "plus", allowNonPlusConcurrentUse: false }) }),
    state: state(),
  },
  "duplicate-viewer": {
    attempt: viewer(),
    account: legacy(),
    state: state({ sessions: [{ sessionId: "s1", role: "viewer", lastHeartbeatAt: secondsAgo(10) }] }),
  },
  "duplicate-client": {
    attempt: client(),
    account: legacy(),
    state: state({ sessions: [{ sessionId: "s1", role: "client", lastHeartbeatAt: secondsAgo(59) }] }),
  },
  // Seed 001 (neo): a target-PC-only account's viewer.
  "application-not-permitted": {
    attempt: viewer(),
    account: neo({ permissions: perms({ viewerUsable: false }) }),
    state: state(),
  },
  "device-mismatch": {
    attempt: viewer({ device: { ...deviceA, machineId: "machine-b" } }),
    account: neo({ neoRegistrationOpen: false }),
    state: state(),
  },
  "device-limit-reached": {
    attempt: viewer({ device: { ...deviceA, machineId: "machine-c" } }),
    account: neo({ neoDeviceLimit: 2 }),
    state: state({ neoDevices: [deviceA, { ...deviceA, machineId: "machine-b" }] }),
  },
  // Seed 001 (neo): started by another Windows / Mac user.
  "neo-reinstalled": {
    attempt: viewer({ device: { ...deviceA, osUser: "bob" } }),
    account: neo(),
    state: state(),
  },
  "locked-out": {
    attempt: viewer(),
    account: legacy(),
    state: state({ failures: { count: 0, lockedUntil: new Date(now.getTime() + 60_000) } }),
  },
  "unknown-user": { attempt: viewer(), account: null, state: state() },
};

describe("evaluateAttempt: one scenario per catalogue entry", () => {
  for (const [key, scenario] of Object.entries(scenarios) as [ReasonKey, Scenario][]) {
    const entry = reasons[key];
    it(`${key} (${entry.code ?? "no code"})`, () => {
      const result = evaluateAttempt(scenario.attempt, scenario.account, scenario.state);
      if (entry.severity === "info") {
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.record.info).toBe(key);
        return;
      }
      expect(result).toMatchObject({ ok: false, reason: key, recordHistory: entry.recorded });
      // The scenario's model and role are among the entry's.
      if (scenario.account !== null) expect(entry.models).toContain(scenario.account.model);
      expect(entry.roles).toContain(scenario.attempt.role);
    });
  }
});

describe("evaluateAttempt: successes and what they record", () => {
  it("a registered device opens a session and registers nothing", () => {
    const result = evaluateAttempt(viewer(), account(), state());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.registerSlot).toBeUndefined();
    expect(result.record.info).toBeUndefined();
    expect(result.record.openSession).toMatchObject({
      role: "viewer",
      userName: "user1",
      product: "terminal-ndl-s",
      openedAt: now,
    });
    expect(result.record.failures).toEqual({ count: 0, lockedUntil: null });
  });

  it("an initialised mobile slot registers the mobile device with info 200200", () => {
    const phone = { ...deviceA, machineId: "phone" };
    const result = evaluateAttempt(viewer({ product: "mobile-ios", device: phone }), account(), state());
    expect(result).toMatchObject({
      ok: true,
      record: { registerSlot: { kind: "mobile", identity: phone }, info: "terminal-auth-registered" },
    });
  });

  it("a neo device registers into the list without an info row", () => {
    const result = evaluateAttempt(viewer({ device: { ...deviceA, machineId: "m2" } }), neo(), state());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.registerSlot?.identity.machineId).toBe("m2");
    expect(result.record.info).toBeUndefined();
  });

  it("a session silent for a minute is stale: it no longer blocks, and is closed", () => {
    const sessions = [{ sessionId: "old", role: "viewer" as const, lastHeartbeatAt: secondsAgo(60) }];
    const result = evaluateAttempt(viewer(), account(), state({ sessions }));
    expect(result).toMatchObject({ ok: true, record: { closeStaleSessions: ["old"] } });
  });

  it("a viewer session doesn't block a client of the same user", () => {
    const sessions = [{ sessionId: "v", role: "viewer" as const, lastHeartbeatAt: now }];
    expect(evaluateAttempt(client(), account(), state({ sessions })).ok).toBe(true);
  });

  it("password saving is handed to mobile viewers only", () => {
    const mobile = evaluateAttempt(
      viewer({ product: "mobile-android", device: deviceA }),
      account(),
      state({ slots: { pc: null, mobile: deviceA } }),
    );
    const pc = evaluateAttempt(viewer(), account(), state());
    expect(mobile).toMatchObject({
      ok: true,
      record: { viewerPolicy: { mayStoreLoginPassword: true, mayStoreOsLogonPassword: false } },
    });
    expect(pc).toMatchObject({
      ok: true,
      record: { viewerPolicy: { mayStoreLoginPassword: false, mayStoreOsLogonPassword: false } },
    });
  });

  it("a Plus user with non-Plus concurrent use admits the standard viewer", () => {
    const acc = account({ permissions: perms({ edition: "plus", allowNonPlusConcurrentUse: true }) });
    expect(evaluateAttempt(viewer({ edition: "standard" }), acc, state()).ok).toBe(true);
    expect(evaluateAttempt(viewer({ edition: "plus" }), acc, state()).ok).toBe(true);
  });

  it("neo skips the MAC list and the edition policy (the neo page lists neither)", () => {
    const acc = neo({ macAllow: { viewer: ["00:00:00:00:00:00"], client: null } });
    expect(evaluateAttempt(viewer({ edition: "plus" }), acc, state()).ok).toBe(true);
  });

  it("IPv4-mapped IPv6 source addresses match IPv4 ranges", () => {
    const acc = account({ ipAllow: { viewer: ["203.0.113.0/24"], client: null } });
    expect(evaluateAttempt(viewer({ sourceAddress: "::ffff:203.0.113.10" }), acc, state()).ok).toBe(true);
  });
});

describe("lockout (ours)", () => {
  const policy = { threshold: 3, durationSeconds: 600 };

  it("counts password failures and locks at the threshold", () => {
    const first = evaluateAttempt(viewer({ passwordOk: false }), account(), state({ lockoutPolicy: policy }));
    expect(first).toMatchObject({ ok: false, failures: { count: 1, lockedUntil: null } });
    const third = evaluateAttempt(
      viewer({ passwordOk: false }),
      account(),
      state({ lockoutPolicy: policy, failures: { count: 2, lockedUntil: null } }),
    );
    expect(third).toMatchObject({
      ok: false,
      reason: "password-mismatch-viewer",
      failures: { count: 3, lockedUntil: new Date(now.getTime() + 600_000) },
    });
  });

  it("counts wrong passwords while locked too, and locks again at each multiple of the threshold", () => {
    const lockedUntil = new Date(now.getTime() + 1000);
    const fourth = evaluateAttempt(
      viewer({ passwordOk: false }),
      account(),
      state({ lockoutPolicy: policy, failures: { count: 3, lockedUntil } }),
    );
    expect(fourth).toMatchObject({ ok: false, reason: "locked-out", failures: { count: 4, lockedUntil } });
    const sixth = evaluateAttempt(
      viewer({ passwordOk: false }),
      account(),
      state({ lockoutPolicy: policy, failures: { count: 5, lockedUntil } }),
    );
    expect(sixth).toMatchObject({
      ok: false,
      reason: "locked-out",
      failures: { count: 6, lockedUntil: new Date(now.getTime() + 600_000) },
    });
  });

  it("N wrong attempts leave a count of N, however many locks they caused", () => {
    let failures = { count: 0, lockedUntil: null as Date | null };
    for (let i = 0; i < 50; i++)
      failures = afterPasswordFailure(failures, { threshold: 5, durationSeconds: 60 }, now);
    expect(failures).toEqual({ count: 50, lockedUntil: new Date(now.getTime() + 60_000) });
  });

  it("refuses the right password while locked, and admits it once the lockout has passed", () => {
    const lockedUntil = new Date(now.getTime() + 1000);
    expect(
      evaluateAttempt(client(), account(), state({ failures: { count: 0, lockedUntil } })),
    ).toMatchObject({
      ok: false,
      reason: "locked-out",
    });
    const later = state({ failures: { count: 0, lockedUntil }, now: new Date(lockedUntil.getTime()) });
    expect(evaluateAttempt(client(), account(), later)).toMatchObject({
      ok: true,
      record: { failures: { count: 0, lockedUntil: null } },
    });
  });

  it("other failures leave the counter alone", () => {
    const result = evaluateAttempt(
      viewer({ edition: "plus" }),
      account(),
      state({ failures: { count: 2, lockedUntil: null } }),
    );
    expect(result).toMatchObject({ ok: false, reason: "plus-not-allowed" });
    expect(result.ok === false && result.failures).toBe(undefined);
  });
});

describe("reachable clients", () => {
  const links = [
    { viewer: "user1", client: "pc-2" },
    { viewer: "user1", client: "pc-1" },
    { viewer: "user9", client: "user1" },
  ];

  it("is the viewer's own user name plus its group links", () => {
    expect(reachableClients("user1", links)).toEqual(["pc-1", "pc-2", "user1"]);
    expect(reachableClients("user9", links)).toEqual(["user1", "user9"]);
  });

  it("mayReach agrees with the list", () => {
    expect(mayReach("user1", "user1", [])).toBe(true);
    expect(mayReach("user1", "pc-1", links)).toBe(true);
    expect(mayReach("pc-1", "user1", links)).toBe(false);
    expect(mayReach("user2", "pc-1", links)).toBe(false);
  });

  it("a successful viewer is handed its reachable clients", () => {
    const result = evaluateAttempt(viewer(), account(), state({ groupLinks: links }));
    expect(result).toMatchObject({ ok: true, record: { reachableClients: ["pc-1", "pc-2", "user1"] } });
  });
});
