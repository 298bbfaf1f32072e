/**
 * Editing one user: the draft, the focused line, Enter → the checks → the confirmation → PATCH with
 * the version read. Arriving from a failure's fix, the draft already carries the fix and the focus
 * is on it. The view (components/UserEditView.tsx) only draws what this answers.
 */
import { useMemo, useState } from "react";
import type { UserDetail } from "../api/types.js";
import { describeFailure, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { FieldLine } from "../components/FieldList.js";
import type { FrameStatus } from "../components/Frame.js";
import { userFormKeys } from "../lib/key-bindings.js";
import {
  changeOf,
  type Draft,
  type DraftField,
  draftOf,
  isEmptyChange,
  parseDeviceLimit,
} from "../lib/user-draft.js";
import { editFields, step } from "../lib/user-edit-fields.js";
import { editText, type Key, useBindings } from "./use-keys.js";

export interface UserEditOptions {
  user: UserDetail;
  initialDraft?: Draft;
  initialFocus?: DraftField;
  /** Saved: the user as the API returned it. */
  onSaved(user: UserDetail): void;
  onCancel(): void;
  /** The user changed under us (409): reload it. */
  onStale(): void;
}

export interface UserEditState {
  user: UserDetail;
  fields: FieldLine[];
  focus: string;
  confirming: boolean;
  /** The changed lines, as the confirmation lists them. */
  summary: string[];
  status: FrameStatus | null;
  keys: string[];
}

export function useUserEdit({
  user,
  initialDraft,
  initialFocus,
  onSaved,
  onCancel,
  onStale,
}: UserEditOptions): UserEditState {
  const { m, lang } = useUi();
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

  /** Enter: the device limit must read, something must change, a new password must be long enough. */
  function submit() {
    if (model === "neo" && !parseDeviceLimit(draft.neoDeviceLimit).ok) {
      setFocus("neoDeviceLimit");
      return setStatus({ kind: "error", text: m.deviceLimitInvalid });
    }
    if (isEmptyChange(change)) return setStatus({ kind: "info", text: m.noChanges });
    if (draft.passwordMode === "change" && [...draft.password].length < 8) {
      setFocus("password");
      return setStatus({ kind: "error", text: "password: at least 8 characters" });
    }
    setConfirming(true);
  }

  const i = fields.findIndex((f) => f.id === focus);
  const field = fields[i];
  const moveFocus = (by: 1 | -1) => setFocus(fields[(i + fields.length + by) % fields.length]?.id ?? focus);
  /** Typing into a text line; keys on a toggle or choice line do nothing but what `toggle` does. */
  const type = (input: string, key: Key) => {
    if (!field || field.kind === "toggle" || field.kind === "choice") return;
    setDraft((d) => ({
      ...d,
      [field.id]: editText(
        String(d[field.id as DraftField] ?? ""),
        input,
        key,
        field.id === "neoDeviceLimit" ? 16 : 1000,
      ),
    }));
  };

  const keys = useBindings(
    confirming ? userFormKeys.confirm : userFormKeys.form,
    confirming
      ? { confirm: () => void save(), cancel: () => setConfirming(false) }
      : {
          nextField: () => moveFocus(1),
          prevField: () => moveFocus(-1),
          toggle: (input, key) => {
            if (!field) return;
            if (field.kind !== "toggle" && field.kind !== "choice") return type(input, key);
            setDraft((d) => step(d, field.id as DraftField, key.leftArrow ? -1 : 1));
          },
          save: submit,
          back: onCancel,
        },
    confirming ? undefined : type,
    { paused: busy },
  );

  const summary = fields
    .filter((f) => f.changed)
    .map((f) => `${f.label.trim()}: ${f.kind === "secret" ? "••••" : f.value || f.placeholder || ""}`);
  return {
    user,
    fields,
    focus,
    confirming,
    summary,
    status: busy ? { kind: "info", text: m.saving } : status,
    keys,
  };
}
