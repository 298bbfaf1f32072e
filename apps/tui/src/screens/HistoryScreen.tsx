/**
 * Access history container: the filters, the paged table, a row's details with its fix one key away,
 * and the CSV export of the current filter.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Box, Text } from "ink";
import { useMemo, useState } from "react";
import type { HistoryQueryInput, HistoryRow } from "../api/types.js";
import { describeFailure, isSessionLost, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { cycle } from "../components/Choice.js";
import { FailureDetails } from "../components/FailureDetails.js";
import { FRAME_LINES, Frame, type FrameStatus } from "../components/Frame.js";
import {
  type FilterField,
  filterFields,
  type HistoryFilter,
  HistoryFilters,
  resultOptions,
  roleOptions,
} from "../components/HistoryFilters.js";
import { HistoryTable, linesOf } from "../components/HistoryTable.js";
import { TextField } from "../components/TextField.js";
import { useHistoryPages } from "../hooks/use-history-pages.js";
import { editText, useKeys } from "../hooks/use-keys.js";
import { fixText } from "../lib/fix-text.js";
import { parseReportedTime } from "../lib/time.js";
import { type FixTarget, fixTargetOf } from "../lib/user-draft.js";

export interface HistoryScreenProps {
  onBack(): void;
  onOpenFix(target: FixTarget): void;
  /** Rows per page; the API allows up to 500. */
  pageSize?: number;
  initialFilter?: Partial<HistoryFilter>;
}

type Mode = "table" | "filters" | "details" | "export";

export function HistoryScreen({ onBack, onOpenFix, pageSize = 100, initialFilter }: HistoryScreenProps) {
  const ui = useUi();
  const { m, lang, size, timeZone, now } = ui;
  const { api, login, logout } = useSession();
  // Seed 000 step 2: "Viewer and client" and "All connections" show every attempt.
  const [filter, setFilter] = useState<HistoryFilter>({
    role: "both",
    result: "all",
    user: "",
    from: "",
    to: "",
    ...initialFilter,
  });
  const [draft, setDraft] = useState(filter);
  const [mode, setMode] = useState<Mode>("table");
  const [focus, setFocus] = useState<FilterField>("role");
  const [filterError, setFilterError] = useState<string | undefined>();
  const [selected, setSelected] = useState(0);
  const [exportPath, setExportPath] = useState("./access-history.csv");
  const [status, setStatus] = useState<FrameStatus | null>(null);

  const query = useMemo<HistoryQueryInput>(() => {
    const from = filter.from ? parseReportedTime(filter.from, now(), timeZone) : null;
    const to = filter.to ? parseReportedTime(filter.to, now(), timeZone) : null;
    return {
      ...(filter.role === "both" ? {} : { role: filter.role }),
      result: filter.result,
      ...(filter.user ? { user: filter.user } : {}),
      ...(from ? { from: from.toISOString() } : {}),
      // "To 11/16 23:59" includes that minute.
      ...(to ? { to: new Date(to.getTime() + 60_000).toISOString() } : {}),
      lang,
    };
  }, [filter, lang, now, timeZone]);
  const pages = useHistoryPages(query, pageSize);
  const lines = useMemo(() => (pages.page ? linesOf(pages.page) : []), [pages.page]);
  const rowCount = useMemo(() => lines.filter((l) => l.kind === "row").length, [lines]);
  const current: HistoryRow | null = useMemo(() => {
    const line = lines.find((l) => l.kind === "row" && l.index === selected);
    return line?.kind === "row" ? line.row : null;
  }, [lines, selected]);
  const target = current ? fixTargetOf(current) : null;

  if (pages.error && isSessionLost(pages.error)) logout(true);

  async function exportCsv() {
    const { limit: _l, cursor: _c, ...csvQuery } = { ...query, limit: undefined, cursor: undefined };
    setStatus({ kind: "info", text: m.loading });
    const res = await api.historyCsv(csvQuery);
    if (!res.ok) return setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, res.error) });
    const path = resolve(exportPath || "./access-history.csv");
    try {
      await writeFile(path, res.value);
      const rows = res.value.split(/\r?\n/).filter(Boolean).length - 1;
      setStatus({ kind: "success", text: m.exported(path, rows) });
      setMode("table");
    } catch (error) {
      setStatus({
        kind: "error",
        text: m.exportFailed(error instanceof Error ? error.message : String(error)),
      });
    }
  }

  function applyFilter() {
    for (const f of ["from", "to"] as const) {
      if (draft[f] && !parseReportedTime(draft[f], now(), timeZone)) {
        setFocus(f);
        return setFilterError(m.whenInvalid);
      }
    }
    setFilterError(undefined);
    setFilter(draft);
    setSelected(0);
    setMode("table");
  }

  useKeys((input, key) => {
    switch (mode) {
      case "filters": {
        if (key.escape) {
          setDraft(filter);
          return setMode("table");
        }
        if (key.return) return applyFilter();
        const i = filterFields.indexOf(focus);
        if (key.tab || key.downArrow) return setFocus(filterFields[(i + 1) % filterFields.length] ?? "role");
        if (key.upArrow)
          return setFocus(filterFields[(i + filterFields.length - 1) % filterFields.length] ?? "role");
        if (focus === "role" || focus === "result") {
          const step = key.leftArrow ? -1 : 1;
          if (key.leftArrow || key.rightArrow || input === " ") {
            setDraft((d) =>
              focus === "role"
                ? { ...d, role: cycle(roleOptions(m), d.role, step) }
                : { ...d, result: cycle(resultOptions(m), d.result, step) },
            );
          }
          return;
        }
        return setDraft((d) => ({ ...d, [focus]: editText(d[focus], input, key, 128) }));
      }
      case "details":
        if (key.escape || key.return) return setMode("table");
        if (input === "g" && target) return onOpenFix(target);
        return;
      case "export":
        if (key.escape) return setMode("table");
        if (key.return) return void exportCsv();
        return setExportPath((p) => editText(p, input, key, 1024));
      case "table": {
        if (key.escape) return onBack();
        const page = Math.max(1, size.rows - FRAME_LINES - 3);
        if (key.upArrow) return setSelected((s) => Math.max(0, s - 1));
        if (key.downArrow) return setSelected((s) => Math.min(rowCount - 1, s + 1));
        if (key.pageUp) return setSelected((s) => Math.max(0, s - page));
        if (key.pageDown) return setSelected((s) => Math.min(rowCount - 1, s + page));
        if (input === "n" || key.rightArrow) {
          if (pages.hasNext) {
            pages.next();
            setSelected(0);
          }
          return;
        }
        if (input === "p" || key.leftArrow) {
          if (pages.index > 0) {
            pages.prev();
            setSelected(0);
          }
          return;
        }
        if (key.return && current) return setMode("details");
        if (input === "g" && target) return onOpenFix(target);
        if (input === "f") {
          setDraft(filter);
          setFocus("role");
          return setMode("filters");
        }
        if (input === "x") return setMode("export");
        if (input === "r") return pages.reload();
      }
    }
  });

  const keys =
    mode === "filters"
      ? [m.keyNextField, "←→ Space", `Enter ${m.update}`, m.keyBack]
      : mode === "details"
        ? [...(target ? [m.keyFix] : []), m.keyBack]
        : mode === "export"
          ? [m.keySubmit, m.keyBack]
          : [
              m.keyMove,
              m.keyPage,
              `Enter ${m.details}`,
              ...(target ? [m.keyFix] : []),
              m.keyFilter,
              m.keyExport,
              m.keyBack,
            ];

  const pageLabel = `${m.page(pages.index + 1)} · ${pages.hasNext ? m.morePages : m.lastPage}`;
  const bodyHeight = size.rows - FRAME_LINES - 2;
  const frameStatus: FrameStatus | null =
    status ?? (pages.error ? { kind: "error", text: describeFailure(m, api.baseUrl, pages.error) } : null);

  return (
    <Frame title={m.historyTitle} context={sessionContext(m, login)} status={frameStatus} keys={keys}>
      {mode === "filters" ? (
        <HistoryFilters filter={draft} focus={focus} error={filterError} />
      ) : mode === "details" && current ? (
        <FailureDetails row={current} fixLine={target ? `g: ${fixText(m, target)}` : null} />
      ) : (
        <Box flexDirection="column">
          <Box justifyContent="space-between">
            <HistoryFilters filter={filter} focus={null} />
          </Box>
          <Text color={ui.color("muted")}>{pages.loading ? m.loading : pageLabel}</Text>
          {mode === "export" ? (
            <TextField label={m.exportPath} value={exportPath} focused />
          ) : lines.length === 0 && !pages.loading ? (
            <Text>{m.noRows}</Text>
          ) : (
            <HistoryTable lines={lines} selected={selected} height={bodyHeight} />
          )}
        </Box>
      )}
    </Frame>
  );
}
