/**
 * Edit one user (seed 002 step 8): every setting as a line, "Initialise" ticks on the PC and mobile
 * slots, then Enter → the confirmation → PATCH with the version read → "User was successfully
 * updated". Arriving from a failure's fix, the draft already carries the fix and the focus is on it.
 * On a neo contract the device limit (empty: the contract's) and the registration tick are lines too.
 */
import { type Model, productTypes } from "@tsunagi/core";
import { Box, Text } from "ink";
import { useMemo, useState } from "react";
import type { UserDetail } from "../api/types.js";
import { describeFailure, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { cycle } from "../components/Choice.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { type FieldLine, FieldList } from "../components/FieldList.js";
import { FRAME_LINES, Frame, type FrameStatus } from "../components/Frame.js";
import { slotText } from "../components/UserDetailView.js";
import { editText, useKeys } from "../hooks/use-keys.js";
import { type Messages, productLabel, userTypeLabel } from "../i18n/index.js";
import {
  changeOf,
  type Draft,
  type DraftField,
  draftOf,
  isEmptyChange,
  parseDeviceLimit,
} from "../lib/user-draft.js";

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
function step(d: Draft, field: DraftField, dir: 1 | -1): Draft {
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

export interface UserEditScreenProps {
  user: UserDetail;
  initialDraft?: Draft;
  initialFocus?: DraftField;
  /** Saved: the user as the API returned it. */
  onSaved(user: UserDetail): void;
  onCancel(): void;
  /** The user changed under us (409): reload it. */
  onStale(): void;
}

export function UserEditScreen({
  user,
  initialDraft,
  initialFocus,
  onSaved,
  onCancel,
  onStale,
}: UserEditScreenProps) {
  const { m, lang, size } = useUi();
  const { api, login } = useSession();
  const model = login.contract.model;
  const [draft, setDraft] = useState<Draft>(() => initialDraft ?? draftOf(user));
  const fields = useMemo(() => editFields(m, lang, user, draft, model), [m, lang, user, draft, model]);
  const [focus, setFocus] = useState<string>(() => initialFocus ?? fields[0]?.id ?? "userType");
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState<FrameStatus | null>(null);
  const change = useMemo(() => changeOf(user, draft, model), [user, draft, model]);

  async function save() {
    setBusy(true);
    const res = await api.patchUser(user.userName, user.version, change);
    setBusy(false);
    setConfirming(false);
    if (res.ok) return onSaved(res.value);
    setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, res.error) });
    if (res.error.kind === "api" && res.error.code === "version-conflict") onStale();
  }

  useKeys((input, key) => {
    if (busy) return;
    if (confirming) {
      if (input === "y" || key.return) void save();
      else if (input === "n" || key.escape) setConfirming(false);
      return;
    }
    if (key.escape) return onCancel();
    const i = fields.findIndex((f) => f.id === focus);
    const field = fields[i];
    if (key.return) {
      if (model === "neo" && !parseDeviceLimit(draft.neoDeviceLimit).ok) {
        setFocus("neoDeviceLimit");
        return setStatus({ kind: "error", text: m.deviceLimitInvalid });
      }
      if (isEmptyChange(change)) return setStatus({ kind: "info", text: m.noChanges });
      if (draft.passwordMode === "change" && [...draft.password].length < 8) {
        setFocus("password");
        return setStatus({ kind: "error", text: "password: at least 8 characters" });
      }
      return setConfirming(true);
    }
    if (key.downArrow || key.tab) return setFocus(fields[(i + 1) % fields.length]?.id ?? focus);
    if (key.upArrow) return setFocus(fields[(i + fields.length - 1) % fields.length]?.id ?? focus);
    if (!field) return;
    if (field.kind === "toggle" || field.kind === "choice") {
      if (input === " " || key.rightArrow) setDraft((d) => step(d, field.id as DraftField, 1));
      else if (key.leftArrow) setDraft((d) => step(d, field.id as DraftField, -1));
      return;
    }
    setDraft((d) => ({
      ...d,
      [field.id]: editText(
        String(d[field.id as DraftField] ?? ""),
        input,
        key,
        field.id === "neoDeviceLimit" ? 16 : 1000,
      ),
    }));
  });

  const summary = fields
    .filter((f) => f.changed)
    .map((f) => `${f.label.trim()}: ${f.kind === "secret" ? "••••" : f.value || f.placeholder || ""}`);
  return (
    <Frame
      title={`${m.usersTitle} › ${m.editTitle(user.userName)}`}
      context={sessionContext(m, login)}
      status={busy ? { kind: "info", text: m.saving } : status}
      keys={confirming ? [m.keyYesNo] : [m.keyMove, m.keyToggle, `Enter ${m.update}`, m.keyBack]}
    >
      {confirming ? (
        <Box flexDirection="column">
          <ConfirmDialog question={m.confirmCommit} summary={summary} />
        </Box>
      ) : (
        <Box flexDirection="column" paddingX={1}>
          <Text bold wrap="truncate">
            {m.relayServer}: {user.serverHost} · {m.userName}: {user.userName}
          </Text>
          <FieldList fields={fields} focus={focus} height={size.rows - FRAME_LINES - 1} labelWidth={42} />
        </Box>
      )}
    </Frame>
  );
}
