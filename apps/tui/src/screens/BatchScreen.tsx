/**
 * Batch management (一括管理): one change applied to every selected user in one all-or-nothing
 * PATCH /users. Each setting starts at "leave as is", so only what the admin sets is sent. On a neo
 * contract the device limit (leave as is / contract default / a number) and registration are settings
 * too; on a legacy contract they are neither visible nor sent.
 */
import type { Model } from "@tsunagi/core";
import { Box, Text } from "ink";
import { useMemo, useState } from "react";
import type { UserChange, UserSummary } from "../api/types.js";
import { describeFailure, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { type FieldLine, FieldList } from "../components/FieldList.js";
import { FRAME_LINES, Frame, type FrameStatus } from "../components/Frame.js";
import { editText, useKeys } from "../hooks/use-keys.js";
import type { Messages } from "../i18n/index.js";
import { parseDeviceLimit } from "../lib/user-draft.js";

type Tri = "leave" | "yes" | "no";
const batchFields = [
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
type BatchField = (typeof batchFields)[number];
/** Shown on neo contracts only. */
const neoFields: ReadonlySet<BatchField> = new Set(["neoDeviceLimit", "neoRegistrationOpen"]);
/** The device limit to set: none (leave as is), the contract's, or a number as typed. */
export type LimitChoice = { mode: "leave" } | { mode: "default" } | { mode: "set"; text: string };
/** Whether the limit can be sent: a number typed must be 1–100 (the contract's is its own choice). */
function limitValid(limit: LimitChoice): boolean {
  if (limit.mode !== "set") return true;
  const parsed = parseDeviceLimit(limit.text);
  return parsed.ok && parsed.value !== null;
}
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

export interface BatchScreenProps {
  users: UserSummary[];
  onSaved(count: number): void;
  onCancel(): void;
}

export function BatchScreen({ users, onSaved, onCancel }: BatchScreenProps) {
  const { m, size } = useUi();
  const { api, login } = useSession();
  const model = login.contract.model;
  const visible = useMemo(() => batchFields.filter((f) => model === "neo" || !neoFields.has(f)), [model]);
  const [limit, setLimit] = useState<LimitChoice>({ mode: "leave" });
  const [values, setValues] = useState<Record<BatchField, Tri>>(
    () => Object.fromEntries(batchFields.map((f) => [f, "leave"])) as Record<BatchField, Tri>,
  );
  const [focus, setFocus] = useState<BatchField>("initialisePc");
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState<FrameStatus | null>(null);
  const change = useMemo(() => batchChange(values, model, limit), [values, model, limit]);
  const show = (f: BatchField) => {
    if (f === "neoDeviceLimit")
      return limit.mode === "leave"
        ? `(${m.leaveAsIs})`
        : limit.mode === "default"
          ? m.contractDefault
          : limit.text;
    if (values[f] === "leave") return `(${m.leaveAsIs})`;
    if (actions.has(f)) return "[x]";
    if (f === "neoRegistrationOpen") return values[f] === "yes" ? m.registrationOpen : m.registrationClosed;
    return values[f] === "yes" ? m.yes : m.no;
  };
  const fields: FieldLine[] = visible.map((f, i) => ({
    id: f,
    ...(i === 0 ? { section: m.batchChange } : {}),
    label: label(m, f),
    value: show(f),
    kind: f === "neoDeviceLimit" && limit.mode === "set" ? "text" : "choice",
    ...(f === "neoDeviceLimit" ? { placeholder: "1–100" } : {}),
    changed: f === "neoDeviceLimit" ? limit.mode !== "leave" : values[f] !== "leave",
  }));

  async function save() {
    setConfirming(false);
    setStatus({ kind: "info", text: m.saving });
    const res = await api.batchPatch(
      users.map((u) => ({ ...change, userName: u.userName, version: u.version })),
    );
    if (res.ok) return onSaved(res.value.users.length);
    setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, res.error) });
  }

  useKeys((input, key) => {
    if (confirming) {
      if (input === "y" || key.return) void save();
      else if (input === "n" || key.escape) setConfirming(false);
      return;
    }
    if (key.escape) return onCancel();
    const i = visible.indexOf(focus);
    if (key.downArrow || key.tab) return setFocus(visible[(i + 1) % visible.length] ?? focus);
    if (key.upArrow) return setFocus(visible[(i + visible.length - 1) % visible.length] ?? focus);
    if (focus === "neoDeviceLimit") {
      // Space / ← / → step leave as is → contract default → a number; digits type the number.
      if (input === " " || key.rightArrow || key.leftArrow) {
        const order = ["leave", "default", "set"] as const;
        return setLimit((l) => {
          const mode = order[(order.indexOf(l.mode) + (key.leftArrow ? 2 : 1)) % 3] ?? "leave";
          return mode === "set" ? { mode, text: "" } : { mode };
        });
      }
      if (key.backspace || key.delete || /^\d+$/.test(input)) {
        return setLimit((l) => {
          const text = editText(l.mode === "set" ? l.text : "", input, key, 3);
          return text === "" && (key.backspace || key.delete) ? { mode: "leave" } : { mode: "set", text };
        });
      }
    }
    if (input === " " || key.rightArrow || key.leftArrow) {
      const order: Tri[] = actions.has(focus) ? ["leave", "yes"] : ["leave", "yes", "no"];
      return setValues((v) => ({
        ...v,
        [focus]:
          order[(order.indexOf(v[focus]) + (key.leftArrow ? order.length - 1 : 1)) % order.length] ?? "leave",
      }));
    }
    if (key.return) {
      if (!limitValid(limit)) {
        setFocus("neoDeviceLimit");
        return setStatus({ kind: "error", text: m.deviceLimitInvalid });
      }
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
