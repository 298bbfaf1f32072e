/**
 * Batch management (一括管理): one change applied to every selected user in one all-or-nothing
 * PATCH /users. Each setting starts at "leave as is", so only what the admin sets is sent.
 */
import { Box, Text } from "ink";
import { useMemo, useState } from "react";
import type { UserChange, UserSummary } from "../api/types.js";
import { describeFailure, isSessionLost, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { type FieldLine, FieldList } from "../components/FieldList.js";
import { FRAME_LINES, Frame, type FrameStatus } from "../components/Frame.js";
import { useKeys } from "../hooks/use-keys.js";
import type { Messages } from "../i18n.js";

type Tri = "leave" | "yes" | "no";
const batchFields = [
  "initialisePc",
  "initialiseMobile",
  "mobileConcurrentUse",
  "allowNonPlusConcurrentUse",
  "clientUsable",
  "mayStoreLoginPassword",
  "mayStoreOsLogonPassword",
  "ipAllowAll",
  "macAllowAll",
  "unlock",
] as const;
type BatchField = (typeof batchFields)[number];
/** Actions can only be done or not; settings can be set either way. */
const actions: ReadonlySet<BatchField> = new Set([
  "initialisePc",
  "initialiseMobile",
  "ipAllowAll",
  "macAllowAll",
  "unlock",
]);

function label(m: Messages, f: BatchField): string {
  switch (f) {
    case "initialisePc":
      return `${m.terminalAuth} ${m.slotPc}: ${m.initialise}`;
    case "initialiseMobile":
      return `${m.terminalAuth} ${m.slotMobile}: ${m.initialise}`;
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

/** The change every selected user gets. */
export function batchChange(values: Record<BatchField, Tri>): UserChange {
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
  if (on("unlock")) c.unlock = true;
  return c;
}

export interface BatchScreenProps {
  users: UserSummary[];
  onSaved(count: number): void;
  onCancel(): void;
}

export function BatchScreen({ users, onSaved, onCancel }: BatchScreenProps) {
  const { m, size } = useUi();
  const { api, login, logout } = useSession();
  const [values, setValues] = useState<Record<BatchField, Tri>>(
    () => Object.fromEntries(batchFields.map((f) => [f, "leave"])) as Record<BatchField, Tri>,
  );
  const [focus, setFocus] = useState<BatchField>("initialisePc");
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState<FrameStatus | null>(null);
  const change = useMemo(() => batchChange(values), [values]);
  const show = (f: BatchField) =>
    values[f] === "leave" ? `(${m.leaveAsIs})` : actions.has(f) ? "[x]" : values[f] === "yes" ? m.yes : m.no;
  const fields: FieldLine[] = batchFields.map((f, i) => ({
    id: f,
    ...(i === 0 ? { section: m.batchChange } : {}),
    label: label(m, f),
    value: show(f),
    kind: "choice",
    changed: values[f] !== "leave",
  }));

  async function save() {
    setConfirming(false);
    setStatus({ kind: "info", text: m.saving });
    const res = await api.batchPatch(
      users.map((u) => ({ ...change, userName: u.userName, version: u.version })),
    );
    if (res.ok) return onSaved(res.value.users.length);
    if (isSessionLost(res.error)) return logout(true);
    setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, res.error) });
  }

  useKeys((input, key) => {
    if (confirming) {
      if (input === "y" || key.return) void save();
      else if (input === "n" || key.escape) setConfirming(false);
      return;
    }
    if (key.escape) return onCancel();
    const i = batchFields.indexOf(focus);
    if (key.downArrow || key.tab) return setFocus(batchFields[(i + 1) % batchFields.length] ?? focus);
    if (key.upArrow) return setFocus(batchFields[(i + batchFields.length - 1) % batchFields.length] ?? focus);
    if (input === " " || key.rightArrow || key.leftArrow) {
      const order: Tri[] = actions.has(focus) ? ["leave", "yes"] : ["leave", "yes", "no"];
      return setValues((v) => ({
        ...v,
        [focus]:
          order[(order.indexOf(v[focus]) + (key.leftArrow ? order.length - 1 : 1)) % order.length] ?? "leave",
      }));
    }
    if (key.return) {
      if (Object.keys(change).length === 0) return setStatus({ kind: "info", text: m.noChanges });
      setConfirming(true);
    }
  });

  return (
    <Frame
      title={`${m.usersTitle} › ${m.batchTitle}`}
      context={sessionContext(m, login)}
      status={status}
      keys={confirming ? [m.keyYesNo] : [m.keyMove, m.keyToggle, `Enter ${m.update}`, m.keyBack]}
    >
      <Box flexDirection="column" paddingX={1}>
        <Text wrap="truncate">
          {m.batchSelected(users.length)}: {users.map((u) => u.userName).join(", ")}
        </Text>
        {confirming ? (
          <ConfirmDialog
            question={m.confirmCommit}
            summary={fields.filter((f) => f.changed).map((f) => `${f.label}: ${f.value}`)}
          />
        ) : (
          <FieldList fields={fields} focus={focus} height={size.rows - FRAME_LINES - 1} labelWidth={44} />
        )}
      </Box>
    </Frame>
  );
}
