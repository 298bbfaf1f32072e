/**
 * A history row's details (the service's "詳細" link): when, where from, and for a failure the reason,
 * its code, the explanation and the response steps of the reason catalogue (docs/reasons.md), with the
 * fix one key away.
 */
import { reasonEntry } from "@tsunagi/core";
import { Box, Text } from "ink";
import type { HistoryRow } from "../api/types.js";
import { useUi } from "../app/ui-context.js";
import { roleLabel } from "../i18n/index.js";
import { fit } from "../lib/text.js";
import { formatDuration, formatTime } from "../lib/time.js";
import { peerOf, resultText } from "./HistoryTable.js";

export interface FailureDetailsProps {
  row: HistoryRow;
  /** "g: Initialise the terminal-auth slot (PC) of user1", or null when no setting fixes it. */
  fixLine: string | null;
}

export function FailureDetails({ row, fixLine }: FailureDetailsProps) {
  const { m, lang, timeZone, color } = useUi();
  const entry = row.reason ? reasonEntry(row.reason.key) : null;
  const label = (text: string) => fit(text, 16);
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>
        {m.details}: {row.userName} · {roleLabel(m, row.role)}
      </Text>
      <Text wrap="truncate">
        {label(m.colStart)} {formatTime(row.startedAt, timeZone)}
        {"   "}
        {m.colEnd} {row.endedAt ? formatTime(row.endedAt, timeZone) : "-"}
        {"   "}
        {m.colDuration} {row.durationSeconds === null ? "-" : formatDuration(row.durationSeconds, lang)}
      </Text>
      <Text wrap="truncate">
        {label(m.colSource)} {row.sourceAddress ?? "-"}
        {"   "}
        {m.colMac} {row.mac ?? "-"}
        {row.product ? `   ${row.product}${row.edition ? ` (${row.edition})` : ""}` : ""}
      </Text>
      <Text wrap="truncate">
        {label(row.role === "viewer" ? m.colTargetClient : m.colSourceViewer)} {peerOf(row) ?? "-"}
      </Text>
      <Text wrap="wrap" color={row.result === "failure" ? color("error") : color("success")}>
        {label(m.colResult)} {resultText(m, lang, row)}
      </Text>
      {entry ? (
        <>
          <Text wrap="truncate">
            {label(m.code)} {entry.code ?? "-"}
          </Text>
          <Text bold>{m.explanation}</Text>
          <Text wrap="wrap">{entry.explanation[lang]}</Text>
          <Text bold>{m.response}</Text>
          {entry.response[lang].map((step, i) => (
            <Text key={step} wrap="wrap">
              {i + 1}. {step}
            </Text>
          ))}
          <Text> </Text>
          {fixLine ? (
            <Text bold color={color("accent")} wrap="wrap">
              {fixLine}
            </Text>
          ) : (
            <Text color={color("muted")} wrap="wrap">
              {m.fixNone}
            </Text>
          )}
        </>
      ) : null}
    </Box>
  );
}
