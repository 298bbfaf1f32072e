/**
 * The user edit form's model: a draft made from a user's details, the change it amounts to (only what
 * differs, as the PATCH body), and how a failure's fix presets it — which field has the focus and
 * what is already ticked when the admin arrives from the access history. The neo device settings are
 * in every draft but reach the PATCH only on a neo contract: a legacy contract refuses `neo`.
 */
import {
  type Fix,
  INVALID_FIELD,
  type Model,
  type Product,
  products,
  type ReasonKey,
  type Role,
  type SlotKind,
  slotOf,
  UNKNOWN_ADDRESS,
} from "@tsunagi/core";
import type { UserChange, UserDetail } from "../api/types.js";

export interface Draft {
  userType: UserDetail["userType"];
  viewerProduct: UserDetail["permissions"]["viewerProduct"];
  viewerUsable: boolean;
  mobileConcurrentUse: boolean;
  allowNonPlusConcurrentUse: boolean;
  edition: UserDetail["permissions"]["edition"];
  clientUsable: boolean;
  initialisePc: boolean;
  initialiseMobile: boolean;
  passwordMode: "keep" | "change";
  password: string;
  ipViewer: string;
  ipClient: string;
  macViewer: string;
  macClient: string;
  mayStoreLoginPassword: boolean;
  mayStoreOsLogonPassword: boolean;
  memo: string;
  unlock: boolean;
  /** Neo: the device limit as typed; empty means the contract's (null). */
  neoDeviceLimit: string;
  neoRegistrationOpen: boolean;
}

export type DraftField = keyof Draft;

/** Where a failure came from and what its reason says fixes it. */
export interface FixTarget {
  userName: string;
  fix: Fix;
  reasonKey: ReasonKey;
  role: Role;
  product: string | null;
  sourceAddress: string | null;
  mac: string | null;
}

const listText = (list: string[] | null) => (list ? list.join(", ") : "");
const textList = (text: string): string[] | null => {
  const items = text
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length ? items : null;
};

export function draftOf(user: UserDetail): Draft {
  const p = user.permissions;
  const r = user.restrictions;
  return {
    userType: user.userType,
    viewerProduct: p.viewerProduct,
    viewerUsable: p.viewerUsable,
    mobileConcurrentUse: p.mobileConcurrentUse,
    allowNonPlusConcurrentUse: p.allowNonPlusConcurrentUse,
    edition: p.edition,
    clientUsable: p.clientUsable,
    initialisePc: false,
    initialiseMobile: false,
    passwordMode: "keep",
    password: "",
    ipViewer: listText(r.ipAllow.viewer),
    ipClient: listText(r.ipAllow.client),
    macViewer: listText(r.macAllow.viewer),
    macClient: listText(r.macAllow.client),
    mayStoreLoginPassword: user.passwordSaving.mayStoreLoginPassword,
    mayStoreOsLogonPassword: user.passwordSaving.mayStoreOsLogonPassword,
    memo: user.memo,
    unlock: false,
    neoDeviceLimit: user.neo.deviceLimit === null ? "" : String(user.neo.deviceLimit),
    neoRegistrationOpen: user.neo.registrationOpen,
  };
}

/** The API's bound on a neo user's device limit (admin-api's NEO_DEVICE_LIMIT_MAX). */
export const NEO_DEVICE_LIMIT_MAX = 100;

/**
 * A typed device limit: a whole number 1–100, or empty (or "default") for the contract's limit (null);
 * anything else is refused before it is sent.
 */
export function parseDeviceLimit(text: string): { ok: true; value: number | null } | { ok: false } {
  const t = text.trim();
  if (t === "" || t.toLowerCase() === "default") return { ok: true, value: null };
  if (!/^\d{1,3}$/.test(t)) return { ok: false };
  const n = Number(t);
  return n >= 1 && n <= NEO_DEVICE_LIMIT_MAX ? { ok: true, value: n } : { ok: false };
}

const sameList = (a: string[] | null, b: string[] | null) => (a ?? []).join(",") === (b ?? []).join(",");

/**
 * The PATCH body: only the parts that differ from `user`; empty when nothing changed. `neo` only on
 * a neo contract, and only with a valid limit (the screen refuses an invalid one before it gets here).
 */
export function changeOf(user: UserDetail, d: Draft, model: Model = "legacy"): UserChange {
  const change: UserChange = {};
  const base = draftOf(user);
  if (d.userType !== base.userType) change.userType = d.userType;
  if (d.memo !== base.memo) change.memo = d.memo;
  const permissions: NonNullable<UserChange["permissions"]> = {};
  for (const k of [
    "viewerProduct",
    "viewerUsable",
    "mobileConcurrentUse",
    "allowNonPlusConcurrentUse",
    "edition",
    "clientUsable",
  ] as const) {
    if (d[k] !== base[k]) (permissions as Record<string, unknown>)[k] = d[k];
  }
  if (Object.keys(permissions).length) change.permissions = permissions;
  const ip = { viewer: textList(d.ipViewer), client: textList(d.ipClient) };
  const mac = { viewer: textList(d.macViewer), client: textList(d.macClient) };
  const restrictions: NonNullable<UserChange["restrictions"]> = {};
  if (
    !sameList(ip.viewer, user.restrictions.ipAllow.viewer) ||
    !sameList(ip.client, user.restrictions.ipAllow.client)
  ) {
    restrictions.ipAllow = {};
    if (!sameList(ip.viewer, user.restrictions.ipAllow.viewer)) restrictions.ipAllow.viewer = ip.viewer;
    if (!sameList(ip.client, user.restrictions.ipAllow.client)) restrictions.ipAllow.client = ip.client;
  }
  if (
    !sameList(mac.viewer, user.restrictions.macAllow.viewer) ||
    !sameList(mac.client, user.restrictions.macAllow.client)
  ) {
    restrictions.macAllow = {};
    if (!sameList(mac.viewer, user.restrictions.macAllow.viewer)) restrictions.macAllow.viewer = mac.viewer;
    if (!sameList(mac.client, user.restrictions.macAllow.client)) restrictions.macAllow.client = mac.client;
  }
  if (restrictions.ipAllow || restrictions.macAllow) change.restrictions = restrictions;
  const saving: NonNullable<UserChange["passwordSaving"]> = {};
  if (d.mayStoreLoginPassword !== base.mayStoreLoginPassword)
    saving.mayStoreLoginPassword = d.mayStoreLoginPassword;
  if (d.mayStoreOsLogonPassword !== base.mayStoreOsLogonPassword) {
    saving.mayStoreOsLogonPassword = d.mayStoreOsLogonPassword;
  }
  if (Object.keys(saving).length) change.passwordSaving = saving;
  if (d.passwordMode === "change" && d.password) change.password = d.password;
  if (d.initialisePc || d.initialiseMobile) {
    change.initialise = {
      ...(d.initialisePc ? { pc: true } : {}),
      ...(d.initialiseMobile ? { mobile: true } : {}),
    };
  }
  if (model === "neo") {
    const neo: NonNullable<UserChange["neo"]> = {};
    const limit = parseDeviceLimit(d.neoDeviceLimit);
    if (limit.ok && limit.value !== user.neo.deviceLimit) neo.deviceLimit = limit.value;
    if (d.neoRegistrationOpen !== user.neo.registrationOpen) neo.registrationOpen = d.neoRegistrationOpen;
    if (Object.keys(neo).length) change.neo = neo;
  }
  if (d.unlock) change.unlock = true;
  return change;
}

export const isEmptyChange = (c: UserChange) => Object.keys(c).length === 0;

/** The slot a failing product registers into; PC when the product isn't known. */
export function slotForProduct(product: string | null): SlotKind {
  if (product && (products as readonly string[]).includes(product)) return slotOf(product as Product) ?? "pc";
  return "pc";
}

const appendTo = (text: string, item: string | null) => {
  if (!item) return text;
  const items = textList(text) ?? [];
  return items.includes(item) ? text : [...items, item].join(", ");
};

/** The draft with the fix applied as far as it can be without asking, and the field to focus. */
export function applyFix(user: UserDetail, target: FixTarget): { draft: Draft; focus: DraftField } {
  const d = draftOf(user);
  switch (target.fix) {
    case "initialise-slot": {
      const slot = slotForProduct(target.product);
      return slot === "mobile"
        ? { draft: { ...d, initialiseMobile: true }, focus: "initialiseMobile" }
        : { draft: { ...d, initialisePc: true }, focus: "initialisePc" };
    }
    case "allow-ip":
      return target.role === "viewer"
        ? { draft: { ...d, ipViewer: appendTo(d.ipViewer, target.sourceAddress) }, focus: "ipViewer" }
        : { draft: { ...d, ipClient: appendTo(d.ipClient, target.sourceAddress) }, focus: "ipClient" };
    case "allow-mac":
      return target.role === "viewer"
        ? { draft: { ...d, macViewer: appendTo(d.macViewer, target.mac) }, focus: "macViewer" }
        : { draft: { ...d, macClient: appendTo(d.macClient, target.mac) }, focus: "macClient" };
    case "unlock":
      return { draft: { ...d, unlock: true }, focus: "unlock" };
    case "password":
      return { draft: { ...d, passwordMode: "change" }, focus: "password" };
    case "edition-policy":
      // A standard viewer refused: allow non-Plus concurrent use. A Plus viewer refused: the edition.
      return target.reasonKey === "non-plus-not-allowed"
        ? { draft: { ...d, allowNonPlusConcurrentUse: true }, focus: "allowNonPlusConcurrentUse" }
        : { draft: d, focus: "edition" };
    case "permissions":
      if (target.role === "client") return { draft: { ...d, clientUsable: true }, focus: "clientUsable" };
      if (target.reasonKey === "product-not-allowed-mobile-ndl" && d.viewerProduct?.startsWith("terminal-")) {
        return { draft: { ...d, mobileConcurrentUse: true }, focus: "mobileConcurrentUse" };
      }
      return { draft: d, focus: "viewerProduct" };
  }
}

/**
 * Whether the fix needs nothing more from the admin than a confirmation (the troubleshoot screen
 * applies these at once); a new password or a product choice needs the edit screen.
 */
export function appliesDirectly(target: FixTarget): boolean {
  switch (target.fix) {
    case "initialise-slot":
    case "unlock":
      return true;
    case "allow-ip":
      return target.sourceAddress !== null;
    case "allow-mac":
      return target.mac !== null;
    case "edition-policy":
      return target.reasonKey === "non-plus-not-allowed";
    case "permissions":
    case "password":
      return false;
  }
}

/** The fix a history row points at, or null for a success or a reason no setting fixes. */
export function fixTargetOf(row: {
  userName: string;
  role: Role;
  result: string;
  product: string | null;
  sourceAddress: string | null;
  mac: string | null;
  reason: { key: ReasonKey; fix: Fix | null } | null;
}): FixTarget | null {
  if (row.result !== "failure" || !row.reason?.fix) return null;
  return {
    userName: row.userName,
    fix: row.reason.fix,
    reasonKey: row.reason.key,
    role: row.role,
    product: row.product,
    // An address the relay could not tell, or a MAC that did not parse, is nothing to allow: the fix
    // then opens the list for the admin to fill in instead of offering the marker.
    sourceAddress: row.sourceAddress === UNKNOWN_ADDRESS ? null : row.sourceAddress,
    mac: row.mac === INVALID_FIELD ? null : row.mac,
  };
}
