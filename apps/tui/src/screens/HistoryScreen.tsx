/**
 * Access history container: the filters (with the extended display), the paged table, a row's details
 * with its fix one key away, and the CSV export of the current filter in the language, encoding and
 * extended display the admin picks.
 */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { Box, Text } from "ink";
import { useMemo, useState } from "react";
import type { HistoryCsvQueryInput, HistoryQueryInput, HistoryRow } from "../api/types.js";
import { describeFailure, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { Choice, cycle } from "../components/Choice.js";
import { FailureDetails } from "../components/FailureDetails.js";
import { FRAME_LINES, Frame, type FrameStatus } from "../components/Frame.js";
import {
  type ExtendedFilter,
  extendedOptions,
  extendedRole,
  type FilterField,
  filterFields,
  type HistoryFilter,
  HistoryFilters,
  reconcile,
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

/** The CSV download's own choices; the rows are the current filter's. */
interface CsvOptions {
  path: string;
  lang: "en" | "ja";
  encoding: "utf-8" | "shift_jis";
  extended: ExtendedFilter;
}
type CsvField = keyof CsvOptions;
const csvFields: CsvField[] = ["path", "lang", "encoding", "extended"];

export function HistoryScreen({ onBack, onOpenFix, pageSize = 100, initialFilter }: HistoryScreenProps) {
  const ui = useUi();
  const { m, lang, size, timeZone, now } = ui;
  const { api, login } = useSession();
  // Seed 000 step 2: "Viewer and client" and "All connections" show every attempt.
  const [filter, setFilter] = useState<HistoryFilter>({
    role: "both",
    result: "all",
    user: "",
    from: "",
    to: "",
    extended: "none",
    ...initialFilter,
  });
  const [draft, setDraft] = useState(filter);
  const [mode, setMode] = useState<Mode>("table");
  const [focus, setFocus] = useState<FilterField>("role");
  const [filterError, setFilterError] = useState<string | undefined>();
  const [selected, setSelected] = useState(0);
  const [csv, setCsv] = useState<CsvOptions>({
    path: "./access-history.csv",
    lang: "en",
    encoding: "utf-8",
    extended: "none",
  });
  const [csvFocus, setCsvFocus] = useState<CsvField>("path");
  // An extended display implies its row type, so with a type filter only the matching one is offered.
  const csvExtendedOptions = extendedOptions(m).filter(
    (o) => o.value === "none" || filter.role === "both" || extendedRole[o.value] === filter.role,
  );
  const langOptions = [
    { value: "en", label: m.langEnglish },
    { value: "ja", label: m.langJapanese },
  ] as const;
  const encodingOptions = [
    { value: "utf-8", label: m.encodingUtf8 },
    { value: "shift_jis", label: m.encodingSjis },
  ] as const;
  const [status, setStatus] = useState<FrameStatus | null>(null);

  const query = useMemo<HistoryQueryInput>(() => {
    const from = filter.from ? parseReportedTime(filter.from, now(), timeZone) : null;
    const to = filter.to ? parseReportedTime(filter.to, now(), timeZone) : null;
    return {
      // An extended display implies the row type; the API takes it from `extended`.
      ...(filter.role === "both" || filter.extended !== "none" ? {} : { role: filter.role }),
      ...(filter.extended === "none" ? {} : { extended: filter.extended }),
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

  async function exportCsv() {
    const { limit: _l, cursor: _c, extended: _e, role, ...rest } = query;
    const csvQuery: HistoryCsvQueryInput = {
      ...rest,
      ...(csv.extended === "none" ? (role ? { role } : {}) : { extended: csv.extended }),
      lang: csv.lang,
      encoding: csv.encoding,
    };
    setStatus({ kind: "info", text: m.loading });
    const res = await api.historyCsv(csvQuery);
    if (!res.ok) {
      return setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, res.error) });
    }
    const path = resolve(csv.path || "./access-history.csv");
    try {
      // The bytes as the API encoded them: decoding and re-encoding would lose Shift_JIS and the BOM.
      await writeFile(path, res.value);
      let lineFeeds = 0;
      for (const byte of res.value) if (byte === 0x0a) lineFeeds++;
      setStatus({ kind: "success", text: m.exported(path, Math.max(0, lineFeeds - 1)) });
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
        if (focus === "role" || focus === "result" || focus === "extended") {
          const step = key.leftArrow ? -1 : 1;
          if (key.leftArrow || key.rightArrow || input === " ") {
            setDraft((d) =>
              focus === "role"
                ? reconcile({ ...d, role: cycle(roleOptions(m), d.role, step) }, "role")
                : focus === "extended"
                  ? reconcile({ ...d, extended: cycle(extendedOptions(m), d.extended, step) }, "extended")
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
      case "export": {
        if (key.escape) return setMode("table");
        if (key.return) return void exportCsv();
        const i = csvFields.indexOf(csvFocus);
        if (key.tab || key.downArrow) return setCsvFocus(csvFields[(i + 1) % csvFields.length] ?? "path");
        if (key.upArrow)
          return setCsvFocus(csvFields[(i + csvFields.length - 1) % csvFields.length] ?? "path");
        if (csvFocus === "path") return setCsv((c) => ({ ...c, path: editText(c.path, input, key, 1024) }));
        if (!(key.leftArrow || key.rightArrow || input === " ")) return;
        const step = key.leftArrow ? -1 : 1;
        return setCsv((c) =>
          csvFocus === "lang"
            ? { ...c, lang: cycle(langOptions, c.lang, step) }
            : csvFocus === "encoding"
              ? { ...c, encoding: cycle(encodingOptions, c.encoding, step) }
              : { ...c, extended: cycle(csvExtendedOptions, c.extended, step) },
        );
      }
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
        if (input === "x") {
          // The extended display of the table, unless the type filter rules it out.
          setCsv((c) => ({ ...c, extended: filter.extended }));
          setCsvFocus("path");
          setStatus(null);
          return setMode("export");
        }
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
          ? [m.keyNextField, "←→ Space", `Enter ${m.exportTitle}`, m.keyBack]
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
            <Box flexDirection="column">
              <Text bold>{m.exportTitle}</Text>
              <TextField label={m.exportPath} value={csv.path} focused={csvFocus === "path"} />
              <Choice
                label={m.csvLang}
                options={langOptions}
                value={csv.lang}
                focused={csvFocus === "lang"}
              />
              <Choice
                label={m.csvEncoding}
                options={encodingOptions}
                value={csv.encoding}
                focused={csvFocus === "encoding"}
              />
              <Choice
                label={m.extended}
                options={csvExtendedOptions}
                value={csv.extended}
                focused={csvFocus === "extended"}
              />
            </Box>
          ) : lines.length === 0 && !pages.loading ? (
            <Text>{m.noRows}</Text>
          ) : (
            <HistoryTable
              lines={lines}
              selected={selected}
              height={bodyHeight}
              extended={pages.page?.extended ?? null}
            />
          )}
        </Box>
      )}
    </Frame>
  );
}
