/**
 * Security (ours beyond the seed's menu item): admin login allow-list, lockout policy, idle timeout.
 * A setting the API refuses is named under its own field, so the admin sees which one to correct.
 */
import { Box, Text } from "ink";
import { useEffect, useState } from "react";
import type { ApiFailure } from "../api/client.js";
import type { SecuritySettings } from "../api/types.js";
import { describeFailure, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { Frame, type FrameStatus } from "../components/Frame.js";
import { TextField } from "../components/TextField.js";
import { editText, useKeys } from "../hooks/use-keys.js";

type Field = "allow" | "threshold" | "duration" | "idle";
const fields: Field[] = ["allow", "threshold", "duration", "idle"];

/** The form field an API validation error names ("lockout.threshold", "adminAllowCidrs[1]"). */
export function fieldOfError(field: string | undefined): Field | null {
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

export function SecurityScreen({ onBack }: { onBack(): void }) {
  const { m, color } = useUi();
  const { api, login } = useSession();
  const [form, setForm] = useState<Record<Field, string> | null>(null);
  const [focus, setFocus] = useState<Field>("allow");
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState<FrameStatus | null>(null);
  const [fieldError, setFieldError] = useState<{ field: Field; text: string } | null>(null);
  const labels: Record<Field, string> = {
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

  useKeys((input, key) => {
    if (!form) return key.escape ? onBack() : undefined;
    if (confirming) {
      if (input === "y" || key.return) void save();
      else if (input === "n" || key.escape) setConfirming(false);
      return;
    }
    if (key.escape) return onBack();
    const i = fields.indexOf(focus);
    if (key.tab || key.downArrow) return setFocus(fields[(i + 1) % fields.length] ?? "allow");
    if (key.upArrow) return setFocus(fields[(i + fields.length - 1) % fields.length] ?? "allow");
    if (key.return) {
      setStatus(null);
      return setConfirming(true);
    }
    // Numbers only in the numeric fields, so a typo can't reach the API as NaN.
    if (focus !== "allow" && input && !/^\d+$/.test(input) && !key.backspace && !key.delete) return;
    if (fieldError?.field === focus) setFieldError(null);
    setForm((f) => (f ? { ...f, [focus]: editText(f[focus], input, key, 4000) } : f));
  });

  const errorOf = (field: Field) => (fieldError?.field === field ? fieldError.text : undefined);
  return (
    <Frame
      title={m.securityTitle}
      context={sessionContext(m, login)}
      status={status}
      keys={confirming ? [m.keyYesNo] : [m.keyNextField, `Enter ${m.update}`, m.keyBack]}
    >
      <Box flexDirection="column" paddingX={1}>
        {!form ? (
          <Text>{m.loading}</Text>
        ) : confirming ? (
          <ConfirmDialog question={m.confirmCommit} />
        ) : (
          <>
            <TextField
              label={m.adminAllowList}
              value={form.allow}
              focused={focus === "allow"}
              labelWidth={32}
              hint={m.allowListHint}
              error={errorOf("allow")}
            />
            <TextField
              label={m.lockoutThreshold}
              value={form.threshold}
              focused={focus === "threshold"}
              labelWidth={32}
              error={errorOf("threshold")}
            />
            <TextField
              label={m.lockoutDuration}
              value={form.duration}
              focused={focus === "duration"}
              labelWidth={32}
              error={errorOf("duration")}
            />
            <TextField
              label={m.idleTimeout}
              value={form.idle}
              focused={focus === "idle"}
              labelWidth={32}
              error={errorOf("idle")}
            />
            <Text color={color("muted")}> </Text>
          </>
        )}
      </Box>
    </Frame>
  );
}
