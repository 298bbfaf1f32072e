/**
 * The edit form of one user as lines (docs/domain.md, "User management"): every setting, the
 * "Initialise" ticks on the PC and mobile slots, the neo device settings on a neo contract; and what
 * Space / ← / → do to a line.
 */
import { type Model, productTypes } from "@tsunagi/core";
import type { UserDetail } from "../api/types.js";
import { cycle } from "../components/Choice.js";
import type { FieldLine } from "../components/FieldList.js";
import { slotText } from "../components/UserDetailView.js";
import { type Messages, productLabel, userTypeLabel } from "../i18n/index.js";
import { type Draft, type DraftField, draftOf, parseDeviceLimit } from "./user-draft.js";

const tick = (on: boolean) => (on ? "[x]" : "[ ]");

/**
 * The form's lines for this user; slots the user's permissions don't use are left out, and the neo
 * device settings unless the contract is a neo one.
 */
export function editFields(
  m: Messages,
  lang: "en" | "ja",
  user: UserDetail,
  d: Draft,
  model: Model = "legacy",
): FieldLine[] {
  const base = draftOf(user);
  const ch = (k: DraftField) => d[k] !== base[k];
  const lines: FieldLine[] = [
    {
      id: "userType",
      label: m.userType,
      value: userTypeLabel(m, d.userType),
      kind: "choice",
      changed: ch("userType"),
    },
    {
      id: "viewerProduct",
      section: m.permissions,
      label: m.viewer,
      value: productLabel(lang, d.viewerProduct),
      kind: "choice",
      changed: ch("viewerProduct"),
    },
    {
      id: "viewerUsable",
      label: `  ${m.usable}`,
      value: tick(d.viewerUsable),
      kind: "toggle",
      changed: ch("viewerUsable"),
    },
    {
      id: "mobileConcurrentUse",
      label: `  ${m.mobileConcurrentUse}`,
      value: tick(d.mobileConcurrentUse),
      kind: "toggle",
      changed: ch("mobileConcurrentUse"),
    },
    {
      id: "edition",
      label: `  ${m.edition}`,
      value: d.edition === "plus" ? m.editionPlus : m.editionStandard,
      kind: "choice",
      changed: ch("edition"),
    },
    {
      id: "allowNonPlusConcurrentUse",
      label: `  ${m.allowNonPlus}`,
      value: tick(d.allowNonPlusConcurrentUse),
      kind: "toggle",
      changed: ch("allowNonPlusConcurrentUse"),
    },
    {
      id: "clientUsable",
      label: `${m.client} ${m.usable}`,
      value: tick(d.clientUsable),
      kind: "toggle",
      changed: ch("clientUsable"),
    },
  ];
  let section: string | undefined = m.terminalAuth;
  for (const slot of ["pc", "mobile"] as const) {
    if (!user.slots[slot].applicable) continue;
    const id = slot === "pc" ? "initialisePc" : "initialiseMobile";
    lines.push({
      id,
      ...(section ? { section } : {}),
      label: `${slot === "pc" ? m.slotPc : m.slotMobile}: ${slotText(m, user.slots[slot], d[id])}`,
      value: `${tick(d[id])} ${m.initialise}`,
      kind: "toggle",
      changed: d[id],
    });
    section = undefined;
  }
  if (model === "neo") {
    const limit = parseDeviceLimit(d.neoDeviceLimit);
    lines.push(
      {
        id: "neoDeviceLimit",
        section: `${m.neoSettings} (${m.deviceLimitHint})`,
        label: m.deviceLimit,
        value: d.neoDeviceLimit,
        placeholder: m.contractDefault,
        kind: "text",
        changed: !limit.ok || limit.value !== user.neo.deviceLimit,
      },
      {
        id: "neoRegistrationOpen",
        label: m.registration,
        value: `${tick(d.neoRegistrationOpen)} ${d.neoRegistrationOpen ? m.registrationOpen : m.registrationClosed}`,
        kind: "toggle",
        changed: ch("neoRegistrationOpen"),
      },
    );
  }
  lines.push(
    {
      id: "passwordMode",
      section: m.passwordChange,
      label: m.passwordChange,
      value:
        d.passwordMode === "keep"
          ? `(•) ${m.noChange}  ( ) ${m.change}`
          : `( ) ${m.noChange}  (•) ${m.change}`,
      kind: "choice",
      changed: d.passwordMode === "change",
    },
    ...(d.passwordMode === "change"
      ? [
          {
            id: "password",
            label: `  ${m.newPassword}`,
            value: d.password,
            kind: "secret" as const,
            changed: true,
          },
        ]
      : []),
    {
      id: "ipViewer",
      section: `${m.ipRestriction} (${m.allowListHint})`,
      label: m.viewer,
      value: d.ipViewer,
      kind: "text",
      changed: ch("ipViewer"),
    },
    { id: "ipClient", label: m.client, value: d.ipClient, kind: "text", changed: ch("ipClient") },
    {
      id: "macViewer",
      section: m.macRestriction,
      label: m.viewer,
      value: d.macViewer,
      kind: "text",
      changed: ch("macViewer"),
    },
    { id: "macClient", label: m.client, value: d.macClient, kind: "text", changed: ch("macClient") },
    {
      id: "mayStoreLoginPassword",
      section: m.passwordSaving,
      label: m.mayStoreLogin,
      value: tick(d.mayStoreLoginPassword),
      kind: "toggle",
      changed: ch("mayStoreLoginPassword"),
    },
    {
      id: "mayStoreOsLogonPassword",
      label: m.mayStoreOsLogon,
      value: tick(d.mayStoreOsLogonPassword),
      kind: "toggle",
      changed: ch("mayStoreOsLogonPassword"),
    },
    { id: "memo", section: m.memo, label: m.memo, value: d.memo, kind: "text", changed: ch("memo") },
  );
  if (user.lockout.locked)
    lines.push({ id: "unlock", label: m.unlock, value: tick(d.unlock), kind: "toggle", changed: d.unlock });
  return lines;
}

const productChoices = [{ value: "none" }, ...productTypes.map((p) => ({ value: p }))] as const;

/** The draft after Space / ← / → on a toggle or choice field. */
export function step(d: Draft, field: DraftField, dir: 1 | -1): Draft {
  switch (field) {
    case "userType":
      return { ...d, userType: d.userType === "standard" ? "device-dedicated" : "standard" };
    case "viewerProduct": {
      const next = cycle(
        productChoices,
        (d.viewerProduct ?? "none") as (typeof productChoices)[number]["value"],
        dir,
      );
      return { ...d, viewerProduct: next === "none" ? null : next };
    }
    case "edition":
      return { ...d, edition: d.edition === "plus" ? "standard" : "plus" };
    case "passwordMode":
      return { ...d, passwordMode: d.passwordMode === "keep" ? "change" : "keep", password: "" };
    default: {
      const v = d[field];
      return typeof v === "boolean" ? { ...d, [field]: !v } : d;
    }
  }
}
