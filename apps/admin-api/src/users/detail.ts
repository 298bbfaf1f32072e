/** A user as the admin API shows it: permissions, restrictions, the terminal-auth slots' states, the lockout. */
import type { UserDetail } from "@tsunagi/api-contract/users";
import { permissionsOf } from "@tsunagi/core/rules";
import type { schema } from "@tsunagi/db";

export type User = typeof schema.users.$inferSelect;
export type Registration = typeof schema.deviceRegistrations.$inferSelect;

/** A slot's state: registered, unregistered after an initialisation, or never registered. */
export function slotState(user: User, regs: Registration[], slot: "pc" | "mobile") {
  const devices = regs
    .filter((r) => r.slot === slot)
    .sort((a, b) => a.seq - b.seq)
    .map((r) => ({
      seq: r.seq,
      machineId: r.machineId,
      osUser: r.osUser,
      registeredAt: r.registeredAt.toISOString(),
    }));
  const initialisedAt = slot === "pc" ? user.pcSlotInitialisedAt : user.mobileSlotInitialisedAt;
  const applicable =
    slot === "pc"
      ? (user.viewerProduct?.startsWith("terminal-") ?? false)
      : user.viewerProduct === "mobile" || user.mobileConcurrentUse;
  return {
    slot,
    applicable,
    state:
      devices.length > 0
        ? ("registered" as const)
        : initialisedAt
          ? ("unregistered-initialised" as const)
          : ("unregistered" as const),
    initialisedAt: initialisedAt?.toISOString() ?? null,
    devices,
  };
}

export function userDetail(user: User, regs: Registration[], now: Date): UserDetail {
  return {
    id: user.id,
    serverHost: user.serverHost,
    userName: user.userName,
    userType: user.userType,
    memo: user.memo,
    permissions: permissionsOf(user),
    restrictions: {
      ipAllow: { viewer: user.ipAllowViewer, client: user.ipAllowClient },
      macAllow: { viewer: user.macAllowViewer, client: user.macAllowClient },
    },
    passwordSaving: {
      mayStoreLoginPassword: user.mayStoreLoginPassword,
      mayStoreOsLogonPassword: user.mayStoreOsLogonPassword,
    },
    neo: { deviceLimit: user.neoDeviceLimit, registrationOpen: user.neoRegistrationOpen },
    slots: { pc: slotState(user, regs, "pc"), mobile: slotState(user, regs, "mobile") },
    lockout: {
      failedCount: user.failedCount,
      lockedUntil: user.lockedUntil?.toISOString() ?? null,
      locked: user.lockedUntil !== null && user.lockedUntil > now,
    },
    version: user.version,
    updatedAt: user.updatedAt.toISOString(),
  };
}
