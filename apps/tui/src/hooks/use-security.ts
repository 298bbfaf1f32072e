/**
 * Security's state and keys: the admin login allow-list, lockout policy and idle timeout as a form,
 * saved after a confirmation. A setting the API refuses is named under its own field, so the admin
 * sees which one to correct. The view (components/SecurityView.tsx) only draws.
 */
import { useEffect, useState } from "react";
import type { ApiFailure } from "../api/client.js";
import type { SecuritySettings } from "../api/types.js";
import { describeFailure, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { FrameStatus } from "../components/Frame.js";
import { securityKeys } from "../lib/key-bindings.js";
import { editText, useBindings } from "./use-keys.js";

export type SecurityField = "allow" | "threshold" | "duration" | "idle";
const fields: SecurityField[] = ["allow", "threshold", "duration", "idle"];

/** The form field an API validation error names ("lockout.threshold", "adminAllowCidrs[1]"). */
export function fieldOfError(field: string | undefined): SecurityField | null {
  if (!field) return null;
  if (field.startsWith("adminAllowCidrs")) return "allow";
  if (field === "lockout.threshold") return "threshold";
  if (field === "lockout.durationSeconds") return "duration";
  if (field === "adminIdleTimeoutSeconds") return "idle";
  return null;
}

const formOf = (s: SecuritySettings) => ({
  allow: s.adminAllowCidrs?.join(", ") ?? "",
  threshold: String(s.lockout.threshold),
  duration: String(s.lockout.durationSeconds),
  idle: String(s.adminIdleTimeoutSeconds),
});

export interface SecurityState {
  /** Null until loaded. */
  form: Record<SecurityField, string> | null;
  focus: SecurityField;
  confirming: boolean;
  status: FrameStatus | null;
  /** The API's refusal of one field, shown under it. */
  fieldError: { field: SecurityField; text: string } | null;
  keys: string[];
}

export function useSecurity({ onBack }: { onBack(): void }): SecurityState {
  const { m } = useUi();
  const { api } = useSession();
  const [form, setForm] = useState<Record<SecurityField, string> | null>(null);
  const [focus, setFocus] = useState<SecurityField>("allow");
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState<FrameStatus | null>(null);
  const [fieldError, setFieldError] = useState<{ field: SecurityField; text: string } | null>(null);
  const labels: Record<SecurityField, string> = {
    allow: m.adminAllowList,
    threshold: m.lockoutThreshold,
    duration: m.lockoutDuration,
    idle: m.idleTimeout,
  };
  const fail = (error: ApiFailure) => {
    const field = error.kind === "api" ? fieldOfError(error.field) : null;
    if (field && error.kind === "api") {
      // "adminIdleTimeoutSeconds: at least 60" → "Admin idle timeout (s): at least 60".
      const detail = error.message.replace(/^[\w.[\]]+:\s*/, "");
      setFocus(field);
      setFieldError({ field, text: `${labels[field]}: ${detail}` });
      return setStatus({ kind: "error", text: m.fixField(labels[field]) });
    }
    setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, error) });
  };
  useEffect(() => {
    void api.security().then((res) => (res.ok ? setForm(formOf(res.value)) : fail(res.error)));
  }, [api]);

  async function save() {
    if (!form) return;
    setConfirming(false);
    const list = form.allow
      .split(/[,\s]+/)
      .map((s) => s.trim())
      .filter(Boolean);
    const res = await api.patchSecurity({
      adminAllowCidrs: list.length ? list : null,
      lockout: { threshold: Number(form.threshold), durationSeconds: Number(form.duration) },
      adminIdleTimeoutSeconds: Number(form.idle),
    });
    if (!res.ok) return fail(res.error);
    setFieldError(null);
    setForm(formOf(res.value));
    setStatus({ kind: "success", text: m.securityUpdated });
  }

  const i = fields.indexOf(focus);
  // Until the settings arrive only Esc does anything; the line already shows the form's keys.
  const loaded = form !== null;
  const keys = useBindings(
    confirming ? securityKeys.confirm : securityKeys.form,
    confirming
      ? { confirm: () => void save(), cancel: () => setConfirming(false) }
      : {
          nextField: () => loaded && setFocus(fields[(i + 1) % fields.length] ?? "allow"),
          prevField: () => loaded && setFocus(fields[(i + fields.length - 1) % fields.length] ?? "allow"),
          save: () => {
            if (!loaded) return;
            setStatus(null);
            setConfirming(true);
          },
          back: onBack,
        },
    (input, key) => {
      if (!loaded || confirming) return;
      // Numbers only in the numeric fields, so a typo can't reach the API as NaN.
      if (focus !== "allow" && input && !/^\d+$/.test(input) && !key.backspace && !key.delete) return;
      if (fieldError?.field === focus) setFieldError(null);
      setForm((f) => (f ? { ...f, [focus]: editText(f[focus], input, key, 4000) } : f));
    },
  );

  return { form, focus, confirming, status, fieldError, keys };
}
