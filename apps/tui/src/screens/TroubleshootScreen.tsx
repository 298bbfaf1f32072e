/**
 * Troubleshoot: the seed pages' four steps on one screen. The admin types what the person reported
 * (user name, viewer or client, about when); the screen shows the attempts within ±30 minutes with
 * the reason, the explanation and the response, and applies the fix with one key and a confirmation
 * (or opens the user's edit screen when the fix needs input, such as a new password).
 */
import { reasonEntry } from "@tsunagi/core";
import { Box, Text } from "ink";
import { useState } from "react";
import type { HistoryRow, UserDetail } from "../api/types.js";
import { describeFailure, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { Choice } from "../components/Choice.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { Frame, type FrameStatus } from "../components/Frame.js";
import { resultText } from "../components/HistoryTable.js";
import { TextField } from "../components/TextField.js";
import { slotText } from "../components/UserDetailView.js";
import { editText, useKeys } from "../hooks/use-keys.js";
import { fixText } from "../lib/fix-text.js";
import { fit } from "../lib/text.js";
import { formatTime, parseReportedTime } from "../lib/time.js";
import { appliesDirectly, applyFix, changeOf, type FixTarget, fixTargetOf } from "../lib/user-draft.js";

const WINDOW_MS = 30 * 60_000;
type Field = "user" | "role" | "when";
const fields: Field[] = ["user", "role", "when"];

export interface TroubleshootScreenProps {
  onBack(): void;
  onOpenFix(target: FixTarget): void;
}

export function TroubleshootScreen({ onBack, onOpenFix }: TroubleshootScreenProps) {
  const { m, lang, timeZone, now, color } = useUi();
  const { api, login } = useSession();
  const [form, setForm] = useState({ user: "", role: "viewer" as "viewer" | "client", when: "" });
  const [focus, setFocus] = useState<Field>("user");
  const [mode, setMode] = useState<"form" | "results" | "confirm">("form");
  const [rows, setRows] = useState<HistoryRow[] | null>(null);
  const [selected, setSelected] = useState(0);
  const [status, setStatus] = useState<FrameStatus | null>(null);
  const [pending, setPending] = useState<{ target: FixTarget; user: UserDetail } | null>(null);

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

  useKeys((input, key) => {
    if (mode === "confirm") {
      if (input === "y" || key.return) void applyPending();
      else if (input === "n" || key.escape) {
        setPending(null);
        setMode("results");
      }
      return;
    }
    if (mode === "results") {
      if (key.escape) return setMode("form");
      if (key.upArrow) return setSelected((s) => Math.max(0, s - 1));
      if (key.downArrow) return setSelected((s) => Math.min((rows?.length ?? 1) - 1, s + 1));
      if (input === "g") return void startFix();
      if (input === "e" && target) return onOpenFix(target);
      return;
    }
    if (key.escape) return onBack();
    const i = fields.indexOf(focus);
    if (key.return) return void find();
    if (key.tab || key.downArrow) return setFocus(fields[(i + 1) % fields.length] ?? "user");
    if (key.upArrow) return setFocus(fields[(i + fields.length - 1) % fields.length] ?? "user");
    if (focus === "role") {
      if (input === " " || key.leftArrow || key.rightArrow) {
        setForm((f) => ({ ...f, role: f.role === "viewer" ? "client" : "viewer" }));
      }
      return;
    }
    setForm((f) => ({ ...f, [focus]: editText(f[focus], input, key, 128) }));
  });

  const entry = current?.reason ? reasonEntry(current.reason.key) : null;
  const keys =
    mode === "confirm"
      ? [m.keyYesNo]
      : mode === "results"
        ? [m.keyMove, ...(target ? [m.keyApply, m.keyEdit] : []), m.keyBack]
        : [m.keyNextField, `Enter ${m.find}`, m.keyBack];

  return (
    <Frame title={m.troubleshootTitle} context={sessionContext(m, login)} status={status} keys={keys}>
      <Box flexDirection="column" paddingX={1}>
        <Text wrap="truncate">{m.troubleshootIntro}</Text>
        <TextField label={m.userName} value={form.user} focused={mode === "form" && focus === "user"} />
        <Choice
          label={m.type}
          options={[
            { value: "viewer", label: m.roleViewer },
            { value: "client", label: m.roleClient },
          ]}
          value={form.role}
          focused={mode === "form" && focus === "role"}
        />
        <TextField
          label={m.when}
          value={form.when}
          focused={mode === "form" && focus === "when"}
          hint={m.whenHint}
        />
        {rows === null ? null : rows.length === 0 ? (
          <Text wrap="wrap" color={color("warn")}>
            {m.noMatchesRecorded}
          </Text>
        ) : (
          <Box flexDirection="column">
            <Text color={color("muted")}>{m.matches(rows.length)}</Text>
            {rows.slice(Math.max(0, selected - 1), Math.max(0, selected - 1) + 3).map((row) => {
              const isSel = row === current;
              return (
                <Text
                  key={row.id}
                  inverse={isSel}
                  wrap="truncate"
                  color={row.result === "failure" ? color("error") : undefined}
                >
                  {isSel ? "› " : "  "}
                  {fit(formatTime(row.startedAt, timeZone), 15)}
                  {resultText(m, lang, row)}
                </Text>
              );
            })}
          </Box>
        )}
        {mode === "confirm" && pending ? (
          <ConfirmDialog question={m.confirmCommit} summary={[fixText(m, pending.target)]} />
        ) : current && mode === "results" ? (
          <Box flexDirection="column">
            {entry ? (
              <>
                <Text wrap="truncate">
                  {m.code}: {entry.code ?? "-"} · {current.sourceAddress ?? "-"} · {current.mac ?? "-"}
                </Text>
                <Text wrap="wrap">{entry.explanation[lang]}</Text>
                {entry.response[lang].map((s, i) => (
                  <Text key={s} wrap="wrap">
                    {i + 1}. {s}
                  </Text>
                ))}
                {target ? (
                  <Text bold color={color("accent")} wrap="truncate">
                    g: {fixText(m, target)}
                  </Text>
                ) : (
                  <Text color={color("muted")} wrap="wrap">
                    {m.fixNone}
                  </Text>
                )}
              </>
            ) : (
              <Text color={color("success")}>{m.successRow}</Text>
            )}
          </Box>
        ) : null}
      </Box>
    </Frame>
  );
}
