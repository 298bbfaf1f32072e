/**
 * Batch management's state and keys: the settings (each "leave as is" until set), the device limit
 * on a neo contract, Enter → the checks → the confirmation → one all-or-nothing PATCH /users.
 * The view (components/BatchView.tsx) only draws what this answers.
 */
import { useMemo, useState } from "react";
import type { UserSummary } from "../api/types.js";
import { describeFailure, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { FieldLine } from "../components/FieldList.js";
import type { FrameStatus } from "../components/Frame.js";
import {
  actions,
  type BatchField,
  batchChange,
  batchFields,
  batchLabel,
  type LimitChoice,
  limitValid,
  neoFields,
  type Tri,
} from "../lib/batch-change.js";
import { userFormKeys } from "../lib/key-bindings.js";
import { editText, type Key, useBindings } from "./use-keys.js";

export interface BatchOptions {
  users: UserSummary[];
  onSaved(count: number): void;
  onCancel(): void;
}

export interface BatchState {
  users: UserSummary[];
  fields: FieldLine[];
  focus: BatchField;
  confirming: boolean;
  status: FrameStatus | null;
  keys: string[];
}

export function useBatch({ users, onSaved, onCancel }: BatchOptions): BatchState {
  const { m } = useUi();
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
    label: batchLabel(m, f),
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

  function submit() {
    if (!limitValid(limit)) {
      setFocus("neoDeviceLimit");
      return setStatus({ kind: "error", text: m.deviceLimitInvalid });
    }
    if (Object.keys(change).length === 0) return setStatus({ kind: "info", text: m.noChanges });
    setConfirming(true);
  }

  /** Space / ← / →: the setting's next (or previous) value; on the device limit, its next mode. */
  function toggle(_input: string, key: Key) {
    if (focus === "neoDeviceLimit") {
      // Leave as is → contract default → a number.
      const order = ["leave", "default", "set"] as const;
      return setLimit((l) => {
        const mode = order[(order.indexOf(l.mode) + (key.leftArrow ? 2 : 1)) % 3] ?? "leave";
        return mode === "set" ? { mode, text: "" } : { mode };
      });
    }
    const order: Tri[] = actions.has(focus) ? ["leave", "yes"] : ["leave", "yes", "no"];
    setValues((v) => ({
      ...v,
      [focus]:
        order[(order.indexOf(v[focus]) + (key.leftArrow ? order.length - 1 : 1)) % order.length] ?? "leave",
    }));
  }

  /** Digits type the device limit; Backspace on its last digit leaves it as is again. */
  function typeLimit(input: string, key: Key) {
    if (focus !== "neoDeviceLimit" || !(key.backspace || key.delete || /^\d+$/.test(input))) return;
    setLimit((l) => {
      const text = editText(l.mode === "set" ? l.text : "", input, key, 3);
      return text === "" && (key.backspace || key.delete) ? { mode: "leave" } : { mode: "set", text };
    });
  }

  const i = visible.indexOf(focus);
  const keys = useBindings(
    confirming ? userFormKeys.confirm : userFormKeys.form,
    confirming
      ? { confirm: () => void save(), cancel: () => setConfirming(false) }
      : {
          nextField: () => setFocus(visible[(i + 1) % visible.length] ?? focus),
          prevField: () => setFocus(visible[(i + visible.length - 1) % visible.length] ?? focus),
          toggle,
          save: submit,
          back: onCancel,
        },
    confirming ? undefined : typeLimit,
  );

  return { users, fields, focus, confirming, status, keys };
}
