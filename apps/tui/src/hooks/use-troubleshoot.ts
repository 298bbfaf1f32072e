/**
 * Troubleshoot's state and keys: what the person reported, the attempts found within ±30 minutes
 * (failures first, nearest the reported time first), and the fix — applied with a confirmation, or
 * handed to the user's edit screen when it needs input. The view (TroubleshootView.tsx) only draws.
 */
import { useState } from "react";
import type { HistoryRow, UserDetail } from "../api/types.js";
import { describeFailure, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { FrameStatus } from "../components/Frame.js";
import { slotText } from "../components/UserDetailView.js";
import { troubleshootKeys } from "../lib/key-bindings.js";
import { parseReportedTime } from "../lib/time.js";
import { appliesDirectly, applyFix, changeOf, type FixTarget, fixTargetOf } from "../lib/user-draft.js";
import { editText, type Key, useBindings } from "./use-keys.js";

const WINDOW_MS = 30 * 60_000;
export type TroubleshootField = "user" | "role" | "when";
const fields: TroubleshootField[] = ["user", "role", "when"];

export interface TroubleshootOptions {
  onBack(): void;
  onOpenFix(target: FixTarget): void;
}

export interface TroubleshootState {
  form: { user: string; role: "viewer" | "client"; when: string };
  focus: TroubleshootField;
  mode: "form" | "results" | "confirm";
  /** Null until a search. */
  rows: HistoryRow[] | null;
  selected: number;
  current: HistoryRow | null;
  target: FixTarget | null;
  /** The fix waiting for the admin's yes. */
  pending: { target: FixTarget; user: UserDetail } | null;
  status: FrameStatus | null;
  keys: string[];
}

export function useTroubleshoot({ onBack, onOpenFix }: TroubleshootOptions): TroubleshootState {
  const { m, lang, timeZone, now } = useUi();
  const { api, login } = useSession();
  const [form, setForm] = useState<TroubleshootState["form"]>({ user: "", role: "viewer", when: "" });
  const [focus, setFocus] = useState<TroubleshootField>("user");
  const [mode, setMode] = useState<TroubleshootState["mode"]>("form");
  const [rows, setRows] = useState<HistoryRow[] | null>(null);
  const [selected, setSelected] = useState(0);
  const [status, setStatus] = useState<FrameStatus | null>(null);
  const [pending, setPending] = useState<TroubleshootState["pending"]>(null);

  const fail = (error: Parameters<typeof describeFailure>[2]) =>
    setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, error) });

  async function find() {
    if (!form.user.trim()) return setStatus({ kind: "error", text: m.fieldRequired(m.userName) });
    const at = parseReportedTime(form.when || "today 00:00", now(), timeZone);
    if (!at || !form.when) return setStatus({ kind: "error", text: m.whenInvalid });
    setStatus({ kind: "info", text: m.loading });
    const res = await api.history({
      user: form.user.trim(),
      role: form.role,
      result: "all",
      from: new Date(at.getTime() - WINDOW_MS).toISOString(),
      to: new Date(at.getTime() + WINDOW_MS).toISOString(),
      limit: 100,
      lang,
    });
    if (!res.ok) return fail(res.error);
    const found = res.value.groups.flatMap((g) => g.rows);
    // Failures first, nearest the reported time first: that is the row the person means.
    found.sort(
      (a, b) =>
        Number(a.result === "success") - Number(b.result === "success") ||
        Math.abs(Date.parse(a.startedAt) - at.getTime()) - Math.abs(Date.parse(b.startedAt) - at.getTime()),
    );
    setRows(found);
    setSelected(0);
    setStatus(null);
    setMode("results");
  }

  const current = rows?.[selected] ?? null;
  const target = current ? fixTargetOf(current) : null;

  async function startFix() {
    if (!target) return;
    if (!appliesDirectly(target)) return onOpenFix(target);
    const res = await api.user(target.userName);
    if (!res.ok) return fail(res.error);
    setPending({ target, user: res.value });
    setMode("confirm");
  }

  async function applyPending() {
    if (!pending) return;
    const { draft } = applyFix(pending.user, pending.target);
    const res = await api.patchUser(
      pending.user.userName,
      pending.user.version,
      changeOf(pending.user, draft, login.contract.model),
    );
    setMode("results");
    setPending(null);
    if (!res.ok) return fail(res.error);
    const slots = `${m.terminalAuth}: ${m.slotPc} ${slotText(m, res.value.slots.pc)}${
      res.value.slots.mobile.applicable ? ` · ${m.slotMobile} ${slotText(m, res.value.slots.mobile)}` : ""
    }`;
    setStatus({
      kind: "success",
      text: `${m.userUpdated} ${pending.target.fix === "initialise-slot" ? slots : ""}`.trim(),
    });
  }

  const type = (input: string, key: Key) => {
    if (focus !== "role") setForm((f) => ({ ...f, [focus]: editText(f[focus], input, key, 128) }));
  };
  const i = fields.indexOf(focus);
  const keys = useBindings(
    troubleshootKeys[mode],
    mode === "confirm"
      ? {
          confirm: () => void applyPending(),
          cancel: () => {
            setPending(null);
            setMode("results");
          },
        }
      : mode === "results"
        ? {
            move: (_input, key) =>
              key.upArrow
                ? setSelected((s) => Math.max(0, s - 1))
                : setSelected((s) => Math.min((rows?.length ?? 1) - 1, s + 1)),
            ...(target ? { apply: () => void startFix(), edit: () => onOpenFix(target) } : {}),
            back: () => setMode("form"),
          }
        : {
            nextField: () => setFocus(fields[(i + 1) % fields.length] ?? "user"),
            prevField: () => setFocus(fields[(i + fields.length - 1) % fields.length] ?? "user"),
            switch: (input, key) => {
              if (focus !== "role") return type(input, key);
              setForm((f) => ({ ...f, role: f.role === "viewer" ? "client" : "viewer" }));
            },
            find: () => void find(),
            back: onBack,
          },
    mode === "form" ? type : undefined,
  );

  return { form, focus, mode, rows, selected, current, target, pending, status, keys };
}
