/** Troubleshoot as drawn: the report form, the attempts found, the selected one explained with its fix (state in use-troubleshoot.ts). */
import { reasonEntry } from "@tsunagi/core";
import { Box, Text } from "ink";
import { sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { TroubleshootState } from "../hooks/use-troubleshoot.js";
import { fixText } from "../lib/fix-text.js";
import { fit } from "../lib/text.js";
import { formatTime } from "../lib/time.js";
import { Choice } from "./Choice.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { Frame } from "./Frame.js";
import { resultText } from "./HistoryTable.js";
import { TextField } from "./TextField.js";

export function TroubleshootView(props: TroubleshootState) {
  const { form, focus, mode, rows, selected, current, target, pending, status, keys } = props;
  const { m, lang, timeZone, color } = useUi();
  const { login } = useSession();
  const entry = current?.reason ? reasonEntry(current.reason.key) : null;
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
