/**
 * Batch management's change (一括管理): the settings one change can carry to every selected user,
 * each starting at "leave as is", their labels, and the PATCH /users change they make. On a neo
 * contract the device limit (leave as is / contract default / a number) and registration too.
 */
import type { Model } from "@tsunagi/core";
import type { UserChange } from "../api/types.js";
import type { Messages } from "../i18n/index.js";
import { parseDeviceLimit } from "./user-draft.js";

/** A setting left as is, set on, or set off. */
export type Tri = "leave" | "yes" | "no";
export const batchFields = [
  "initialisePc",
  "initialiseMobile",
  "neoDeviceLimit",
  "neoRegistrationOpen",
  "mobileConcurrentUse",
  "allowNonPlusConcurrentUse",
  "clientUsable",
  "mayStoreLoginPassword",
  "mayStoreOsLogonPassword",
  "ipAllowAll",
  "macAllowAll",
  "unlock",
] as const;
export type BatchField = (typeof batchFields)[number];
/** Shown on neo contracts only. */
export const neoFields: ReadonlySet<BatchField> = new Set(["neoDeviceLimit", "neoRegistrationOpen"]);
/** The device limit to set: none (leave as is), the contract's, or a number as typed. */
export type LimitChoice = { mode: "leave" } | { mode: "default" } | { mode: "set"; text: string };
/** Whether the limit can be sent: a number typed must be 1–100 (the contract's is its own choice). */
export function limitValid(limit: LimitChoice): boolean {
  if (limit.mode !== "set") return true;
  const parsed = parseDeviceLimit(limit.text);
  return parsed.ok && parsed.value !== null;
}
/** Actions can only be done or not; settings can be set either way. */
export const actions: ReadonlySet<BatchField> = new Set([
  "initialisePc",
  "initialiseMobile",
  "ipAllowAll",
  "macAllowAll",
  "unlock",
]);

export function batchLabel(m: Messages, f: BatchField): string {
  switch (f) {
    case "initialisePc":
      return `${m.terminalAuth} ${m.slotPc}: ${m.initialise}`;
    case "initialiseMobile":
      return `${m.terminalAuth} ${m.slotMobile}: ${m.initialise}`;
    case "neoDeviceLimit":
      return m.deviceLimit;
    case "neoRegistrationOpen":
      return m.registration;
    case "mobileConcurrentUse":
      return m.mobileConcurrentUse;
    case "allowNonPlusConcurrentUse":
      return m.allowNonPlus;
    case "clientUsable":
      return `${m.client} ${m.usable}`;
    case "mayStoreLoginPassword":
      return m.mayStoreLogin;
    case "mayStoreOsLogonPassword":
      return m.mayStoreOsLogon;
    case "ipAllowAll":
      return `${m.ipRestriction}: ${m.allowAll}`;
    case "macAllowAll":
      return `${m.macRestriction}: ${m.allowAll}`;
    case "unlock":
      return m.unlock;
  }
}

/**
 * The change every selected user gets. `neo` only on a neo contract; a limit typed out of range is
 * left out here (the screen refuses it before sending).
 */
export function batchChange(
  values: Record<BatchField, Tri>,
  model: Model = "legacy",
  limit: LimitChoice = { mode: "leave" },
): UserChange {
  const c: UserChange = {};
  const on = (f: BatchField) => values[f] === "yes";
  if (on("initialisePc") || on("initialiseMobile")) {
    c.initialise = {
      ...(on("initialisePc") ? { pc: true } : {}),
      ...(on("initialiseMobile") ? { mobile: true } : {}),
    };
  }
  const permissions: NonNullable<UserChange["permissions"]> = {};
  for (const f of ["mobileConcurrentUse", "allowNonPlusConcurrentUse", "clientUsable"] as const) {
    if (values[f] !== "leave") permissions[f] = values[f] === "yes";
  }
  if (Object.keys(permissions).length) c.permissions = permissions;
  const saving: NonNullable<UserChange["passwordSaving"]> = {};
  for (const f of ["mayStoreLoginPassword", "mayStoreOsLogonPassword"] as const) {
    if (values[f] !== "leave") saving[f] = values[f] === "yes";
  }
  if (Object.keys(saving).length) c.passwordSaving = saving;
  if (on("ipAllowAll") || on("macAllowAll")) {
    c.restrictions = {
      ...(on("ipAllowAll") ? { ipAllow: { viewer: null, client: null } } : {}),
      ...(on("macAllowAll") ? { macAllow: { viewer: null, client: null } } : {}),
    };
  }
  if (model === "neo") {
    const neo: NonNullable<UserChange["neo"]> = {};
    if (limit.mode === "default") neo.deviceLimit = null;
    const parsed = limit.mode === "set" ? parseDeviceLimit(limit.text) : null;
    if (parsed?.ok && parsed.value !== null) neo.deviceLimit = parsed.value;
    if (values.neoRegistrationOpen !== "leave") neo.registrationOpen = values.neoRegistrationOpen === "yes";
    if (Object.keys(neo).length) c.neo = neo;
  }
  if (on("unlock")) c.unlock = true;
  return c;
}
