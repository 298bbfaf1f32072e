/** Properties that must hold for every attempt: the no-leak rule and the evaluation order. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { products, productTypes } from "./domain.js";
import { type ReasonKey, reasonKeys, reasons } from "./reasons.js";
import { programOf } from "./reference-code.js";
import { type Account, type Attempt, evaluateAttempt, type State } from "./rules.js";
import { account, client, deviceA, now, state, viewer } from "./testing/builders.js";
import { AuthFailure, authFailureFor } from "./wire.js";

const arbDevice = fc.record({
  machineId: fc.constantFrom("machine-a", "machine-b"),
  osUser: fc.constantFrom("alice", "bob"),
  installPublicKey: fc.constantFrom(deviceA.installPublicKey, "b3RoZXI="),
});

const arbPermissions = fc.record({
  viewerProduct: fc.option(fc.constantFrom(...productTypes)),
  viewerUsable: fc.boolean(),
  mobileConcurrentUse: fc.boolean(),
  clientUsable: fc.boolean(),
  edition: fc.constantFrom("plus" as const, "standard" as const),
  allowNonPlusConcurrentUse: fc.boolean(),
});

const arbAccount: fc.Arbitrary<Account | null> = fc.option(
  fc
    .record({
      model: fc.constantFrom("legacy" as const, "neo" as const),
      userType: fc.constantFrom("standard" as const, "device-dedicated" as const),
      permissions: arbPermissions,
      boundUsbKeySerial: fc.option(fc.constantFrom("KEY-0001", "KEY-0002")),
      ipAllow: fc.record({
        viewer: fc.option(fc.constant(["203.0.113.0/24"])),
        client: fc.option(fc.constant(["2001:db8::/32"])),
      }),
      macAllow: fc.record({
        viewer: fc.option(fc.constant(["aa:bb:cc:dd:ee:ff"])),
        client: fc.option(fc.constant([])),
      }),
      neoDeviceLimit: fc.integer({ min: 0, max: 3 }),
      neoRegistrationOpen: fc.boolean(),
    })
    .map((overrides) => account(overrides)),
  { freq: 5 },
);

const arbState: fc.Arbitrary<State> = fc
  .record({
    pc: fc.option(arbDevice),
    mobile: fc.option(arbDevice),
    neoDevices: fc.array(arbDevice, { maxLength: 3 }),
    heartbeatAgoS: fc.option(fc.integer({ min: 0, max: 120 })),
    sessionRole: fc.constantFrom("viewer" as const, "client" as const),
    lockedForS: fc.option(fc.integer({ min: -60, max: 600 })),
    count: fc.integer({ min: 0, max: 4 }),
  })
  .map((s) =>
    state({
      slots: { pc: s.pc, mobile: s.mobile },
      neoDevices: s.neoDevices,
      sessions:
        s.heartbeatAgoS === null
          ? []
          : [
              {
                sessionId: "s",
                role: s.sessionRole,
                lastHeartbeatAt: new Date(now.getTime() - s.heartbeatAgoS * 1000),
              },
            ],
      failures: {
        count: s.count,
        lockedUntil: s.lockedForS === null ? null : new Date(now.getTime() + s.lockedForS * 1000),
      },
    }),
  );

/** Everything about an attempt except its program, which the caller fixes. */
const arbDetails = fc.record({
  passwordOk: fc.boolean(),
  sourceAddress: fc.constantFrom("203.0.113.5", "192.0.2.1", "2001:db8::1", "::ffff:203.0.113.9"),
  mac: fc.option(fc.constantFrom("AA-BB-CC-DD-EE-FF", "00:11:22:33:44:55"), { nil: undefined }),
  edition: fc.option(fc.constantFrom("plus" as const, "standard" as const), { nil: undefined }),
  device: fc.option(arbDevice, { nil: undefined }),
  usbKeySerial: fc.option(fc.constantFrom("KEY-0001", "KEY-0002"), { nil: undefined }),
});

const arbProgram = fc.oneof(
  fc.constant({ role: "client" as const }),
  fc.constantFrom(...products).map((product) => ({ role: "viewer" as const, product })),
);

type Details = typeof arbDetails extends fc.Arbitrary<infer T> ? T : never;
type ProgramLike = { role: "client" } | { role: "viewer"; product: (typeof products)[number] };

function attemptOf(program: ProgramLike, details: Details): Attempt {
  if (program.role === "client") {
    return client({ passwordOk: details.passwordOk, sourceAddress: details.sourceAddress, mac: details.mac });
  }
  return viewer({ ...details, product: program.product });
}

describe("no leak: what the person is told depends only on the program", () => {
  it("any two failing attempts from the same program get the identical failure message", () => {
    fc.assert(
      fc.property(
        arbProgram,
        fc.tuple(arbDetails, arbAccount, arbState),
        fc.tuple(arbDetails, arbAccount, arbState),
        fc.constantFrom("en" as const, "ja" as const),
        (program, [d1, a1, s1], [d2, a2, s2], lang) => {
          const x = attemptOf(program, d1);
          const y = attemptOf(program, d2);
          const rx = evaluateAttempt(x, a1, s1);
          const ry = evaluateAttempt(y, a2, s2);
          fc.pre(!rx.ok && !ry.ok);
          const told = authFailureFor(programOf(x), lang);
          expect(authFailureFor(programOf(y), lang)).toEqual(told);
          // The failure is strict: it carries nothing but type, reference code and message…
          expect(AuthFailure.parse(told)).toEqual(told);
          // …and none of the reason's words or code.
          const wire = JSON.stringify(told);
          for (const key of reasonKeys) {
            expect(wire).not.toContain(key);
            const code = reasons[key].code;
            if (code !== null) expect(wire).not.toContain(String(code));
            expect(wire).not.toContain(reasons[key].message[lang]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * The evaluation order: a fault per rule, each applied to a scenario that otherwise succeeds. With any
 * non-empty set of faults, the reason is the fault that comes first in the documented order.
 */
type Scenario = { attempt: Attempt; account: Account; state: State };
type Fault = { reason: ReasonKey; apply: (s: Scenario) => Scenario };

const withAccount = (f: (a: Account) => Partial<Account>) => (s: Scenario) => ({
  ...s,
  account: { ...s.account, ...f(s.account) },
});
const withState = (f: (st: State) => Partial<State>) => (s: Scenario) => ({
  ...s,
  state: { ...s.state, ...f(s.state) },
});
const withAttempt = (f: (a: Attempt) => Partial<Attempt>) => (s: Scenario) => ({
  ...s,
  attempt: { ...s.attempt, ...f(s.attempt) } as Attempt,
});

const locked: Fault = {
  reason: "locked-out",
  apply: withState(() => ({ failures: { count: 0, lockedUntil: new Date(now.getTime() + 1000) } })),
};
const password = (reason: ReasonKey): Fault => ({
  reason,
  apply: withAttempt(() => ({ passwordOk: false })),
});
const macFault: Fault = {
  reason: "mac-not-allowed",
  apply: withAccount(() => ({ macAllow: { viewer: ["00:00:00:00:00:01"], client: ["00:00:00:00:00:01"] } })),
};
const ipFault: Fault = {
  reason: "ip-not-allowed",
  apply: withAccount(() => ({ ipAllow: { viewer: ["10.0.0.0/8"], client: ["10.0.0.0/8"] } })),
};
const duplicate = (reason: ReasonKey, role: "viewer" | "client"): Fault => ({
  reason,
  apply: withState(() => ({ sessions: [{ sessionId: "live", role, lastHeartbeatAt: now }] })),
});

const orders: Record<string, { base: Scenario; faults: Fault[] }> = {
  "legacy terminal-auth viewer": {
    base: { attempt: viewer(), account: account(), state: state() },
    faults: [
      locked,
      password("password-mismatch-viewer"),
      {
        reason: "product-not-allowed-ndl-s",
        apply: withAccount((a) => ({ permissions: { ...a.permissions, viewerProduct: "terminal-xdl-s" } })),
      },
      { reason: "plus-not-allowed", apply: withAttempt(() => ({ edition: "plus" })) },
      macFault,
      ipFault,
      {
        reason: "terminal-auth-mismatch-machine",
        apply: withAttempt(() => ({ device: { ...deviceA, machineId: "other" } })),
      },
      duplicate("duplicate-viewer", "viewer"),
    ],
  },
  "legacy USB viewer": {
    base: {
      attempt: viewer({ product: "usb-xdl", usbKeySerial: "KEY-0001", device: undefined }),
      account: account({
        permissions: {
          ...account().permissions,
          viewerProduct: "usb-xdl",
          edition: "plus",
          allowNonPlusConcurrentUse: true,
        },
      }),
      state: state(),
    },
    faults: [
      locked,
      password("password-mismatch-viewer"),
      {
        reason: "product-not-allowed-xdl",
        apply: withAccount((a) => ({ permissions: { ...a.permissions, viewerUsable: false } })),
      },
      { reason: "usb-key-not-bound", apply: withAttempt(() => ({ usbKeySerial: "KEY-0002" })) },
      {
        reason: "non-plus-not-allowed",
        apply: withAccount((a) => ({ permissions: { ...a.permissions, allowNonPlusConcurrentUse: false } })),
      },
      macFault,
      ipFault,
      duplicate("duplicate-viewer", "viewer"),
    ],
  },
  "legacy client": {
    base: { attempt: client(), account: account(), state: state() },
    faults: [
      locked,
      password("password-mismatch-client"),
      { reason: "client-not-allowed", apply: withAccount(() => ({ userType: "device-dedicated" })) },
      macFault,
      ipFault,
      duplicate("duplicate-client", "client"),
    ],
  },
  "neo mobile viewer": {
    base: {
      attempt: viewer({ product: "mobile-android" }),
      account: account({ model: "neo" }),
      state: state(),
    },
    faults: [
      locked,
      password("password-mismatch-viewer"),
      {
        reason: "application-not-permitted",
        apply: withAccount((a) => ({ permissions: { ...a.permissions, mobileConcurrentUse: false } })),
      },
      ipFault,
      {
        reason: "neo-reinstalled",
        apply: withAttempt(() => ({ device: { ...deviceA, installPublicKey: "bmV3" } })),
      },
      duplicate("duplicate-viewer", "viewer"),
    ],
  },
};

describe("evaluation order: the first fault in the documented order is the one recorded", () => {
  for (const [name, { base, faults }] of Object.entries(orders)) {
    it(name, () => {
      expect(evaluateAttempt(base.attempt, base.account, base.state).ok).toBe(true);
      fc.assert(
        fc.property(
          fc.subarray(
            faults.map((_, i) => i),
            { minLength: 1 },
          ),
          (indices) => {
            const scenario = indices.reduce((s, i) => (faults[i] as Fault).apply(s), base);
            const first = faults[Math.min(...indices)] as Fault;
            expect(evaluateAttempt(scenario.attempt, scenario.account, scenario.state)).toMatchObject({
              ok: false,
              reason: first.reason,
            });
          },
        ),
      );
    });
  }
});
