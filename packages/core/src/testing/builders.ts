/** Test builders: a healthy account, state and attempts, which each test breaks in one named way. */
import type { Account, ClientAttempt, DeviceIdentity, State, ViewerAttempt } from "../rules.js";

export const now = new Date("2025-11-15T10:16:55Z");

export const deviceA: DeviceIdentity = {
  machineId: "machine-a",
  osUser: "alice",
  installPublicKey: "MCowBQYDK2VwAyEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
};

export function account(overrides: Partial<Account> = {}): Account {
  return {
    model: "legacy",
    userName: "user1",
    userType: "standard",
    permissions: {
      viewerProduct: "terminal-ndl-s",
      viewerUsable: true,
      mobileConcurrentUse: true,
      clientUsable: true,
      edition: "standard",
      allowNonPlusConcurrentUse: false,
    },
    boundUsbKeySerial: "KEY-0001",
    ipAllow: { viewer: null, client: null },
    macAllow: { viewer: null, client: null },
    neoDeviceLimit: 2,
    neoRegistrationOpen: true,
    mayStoreLoginPassword: true,
    mayStoreOsLogonPassword: false,
    ...overrides,
  };
}

export function state(overrides: Partial<State> = {}): State {
  return {
    slots: { pc: deviceA, mobile: null },
    neoDevices: [deviceA],
    sessions: [],
    failures: { count: 0, lockedUntil: null },
    lockoutPolicy: { threshold: 5, durationSeconds: 900 },
    groupLinks: [],
    now,
    ...overrides,
  };
}

export function viewer(overrides: Partial<ViewerAttempt> = {}): ViewerAttempt {
  return {
    role: "viewer",
    product: "terminal-ndl-s",
    edition: "standard",
    passwordOk: true,
    device: deviceA,
    sourceAddress: "203.0.113.10",
    mac: "aa:bb:cc:dd:ee:ff",
    ...overrides,
  };
}

export function client(overrides: Partial<ClientAttempt> = {}): ClientAttempt {
  return {
    role: "client",
    passwordOk: true,
    sourceAddress: "198.51.100.7",
    mac: "11-22-33-44-55-66",
    ...overrides,
  };
}
