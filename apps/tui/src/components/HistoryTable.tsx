/**
 * The access history table (docs/domain.md, "The access history"): per-user blocks headed with the
 * cumulative connection time, then start, end, duration, source address, MAC address and result.
 * Columns drop out right to left as the terminal narrows (all of them are in the row's details), and
 * only the lines that fit are drawn, so a 500-row page costs the same per key press as a 20-row one.
 */
import { type Lang, reasonMessage } from "@tsunagi/core";
import { Box, Text } from "ink";
import { memo } from "react";
import type { Extended, HistoryPage, HistoryRow } from "../api/types.js";
import { useUi } from "../app/ui-context.js";
import type { Messages } from "../i18n/index.js";
import { fit } from "../lib/text.js";
import { formatDuration, formatTime } from "../lib/time.js";

export type HistoryLine =
  | { kind: "group"; userName: string; connectedSeconds: number }
  | { kind: "row"; row: HistoryRow; index: number };

/** The page as drawable lines; `index` counts rows only, which is what the selection moves over. */
export function linesOf(page: HistoryPage): HistoryLine[] {
  const out: HistoryLine[] = [];
  let index = 0;
  for (const g of page.groups) {
    out.push({ kind: "group", userName: g.userName, connectedSeconds: g.connectedSeconds });
    for (const row of g.rows) out.push({ kind: "row", row, index: index++ });
  }
  return out;
}

interface Column {
  id: "start" | "end" | "duration" | "source" | "mac" | "peer" | "result";
  width: number;
}

/**
 * The peer of an extended display: the target client of a viewer row, the source viewer of a client
 * row; the API's field when the page was asked with `extended`, otherwise the row's recorded peer.
 */
export function peerOf(row: HistoryRow): string | null {
  if (row.role === "viewer") return row.targetClient !== undefined ? row.targetClient : row.peerUserName;
  return row.sourceViewer !== undefined ? row.sourceViewer : row.peerUserName;
}

/**
 * Which columns fit in `columns` cells; the result column takes what is left. The extended display's
 * column needs 100 cells; narrower, the peer is in the row's details only.
 */
export function columnsFor(columns: number, extended: Extended | null = null): Column[] {
  const cols: Column[] = [
    { id: "start", width: 14 },
    { id: "end", width: columns >= 100 ? 14 : 8 },
    { id: "duration", width: 12 },
  ];
  if (columns >= 110) cols.push({ id: "source", width: 15 });
  if (columns >= 130) cols.push({ id: "mac", width: 17 });
  if (extended && columns >= 100) cols.push({ id: "peer", width: 16 });
  const used = 2 + cols.reduce((n, c) => n + c.width + 1, 0);
  cols.push({ id: "result", width: Math.max(12, columns - used) });
  return cols;
}

export function resultText(m: Messages, lang: Lang, row: HistoryRow): string {
  if (row.result === "success") return m.success;
  const message = row.reason ? reasonMessage(row.reason.key, lang) : "";
  return row.result === "info" ? m.info(message) : m.failure(message);
}

function cellText(
  m: Messages,
  lang: Lang,
  timeZone: string,
  row: HistoryRow,
  id: Column["id"],
  width: number,
) {
  switch (id) {
    case "start":
      return formatTime(row.startedAt, timeZone);
    case "end": {
      if (!row.endedAt) return "";
      const t = formatTime(row.endedAt, timeZone);
      return width < 14 ? t.slice(6) : t;
    }
    case "duration":
      return row.durationSeconds === null ? "-" : formatDuration(row.durationSeconds, lang);
    case "source":
      return row.sourceAddress ?? "";
    case "mac":
      return row.mac ?? "";
    case "peer":
      return peerOf(row) ?? "-";
    case "result":
      return resultText(m, lang, row);
  }
}

function header(m: Messages, id: Column["id"], extended: Extended | null) {
  switch (id) {
    case "start":
      return m.colStart;
    case "end":
      return m.colEndShort;
    case "duration":
      return m.colDuration;
    case "source":
      return m.colSource;
    case "mac":
      return m.colMac;
    case "peer":
      return extended === "source" ? m.colSourceViewer : m.colTargetClient;
    case "result":
      return m.colResult;
  }
}

export interface HistoryTableProps {
  lines: HistoryLine[];
  selected: number;
  /** Lines available for the table, header included. */
  height: number;
  /** The extended display the page was asked with: adds its column when the terminal is wide enough. */
  extended?: Extended | null;
}

export const HistoryTable = memo(function HistoryTable({
  lines,
  selected,
  height,
  extended = null,
}: HistoryTableProps) {
  const { m, lang, size, timeZone, color } = useUi();
  const cols = columnsFor(size.columns, extended);
  const room = Math.max(1, height - 1);
  const at = lines.findIndex((l) => l.kind === "row" && l.index === selected);
  // Keep the selection in view, with its block header when there is room for it.
  const start = Math.max(0, Math.min(at - Math.floor(room / 2), lines.length - room));
  const visible = lines.slice(start, start + room);
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {"  "}
        {cols.map((c) => fit(header(m, c.id, extended), c.width)).join(" ")}
      </Text>
      {visible.map((line) => {
        if (line.kind === "group") {
          return (
            <Text key={`g-${line.userName}`} bold color={color("accent")} wrap="truncate">
              {fit(
                `${m.userName}: ${line.userName}   ${m.cumulative}: ${formatDuration(line.connectedSeconds, lang)}`,
                size.columns,
              )}
            </Text>
          );
        }
        const isSel = line.index === selected;
        const failed = line.row.result === "failure";
        return (
          <Text key={line.row.id} inverse={isSel} wrap="truncate" color={failed ? color("error") : undefined}>
            {isSel ? "› " : "  "}
            {cols.map((c) => fit(cellText(m, lang, timeZone, line.row, c.id, c.width), c.width)).join(" ")}
          </Text>
        );
      })}
    </Box>
  );
});
