/**
 * The access history screen's state and keys: the filters being edited and the one applied, the
 * paged table and its selection, a row's details with its fix, and the CSV export's options and
 * download. The view (components/HistoryView.tsx) only draws what this answers.
 */
import { useMemo, useState } from "react";
import type { HistoryCsvQueryInput, HistoryQueryInput, HistoryRow } from "../api/types.js";
import { describeFailure, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { cycle } from "../components/Choice.js";
import { FRAME_LINES, type FrameStatus } from "../components/Frame.js";
import {
  type ExtendedFilter,
  extendedOptions,
  extendedRole,
  type FilterField,
  filterFields,
  type HistoryFilter,
  reconcile,
  resultOptions,
  roleOptions,
} from "../components/HistoryFilters.js";
import { type HistoryLine, linesOf } from "../components/HistoryTable.js";
import { DEFAULT_CSV_PATH, writeCsvFile } from "../lib/csv-file.js";
import { historyKeys } from "../lib/key-bindings.js";
import { parseReportedTime } from "../lib/time.js";
import { type FixTarget, fixTargetOf } from "../lib/user-draft.js";
import { type HistoryPages, useHistoryPages } from "./use-history-pages.js";
import { editText, useBindings } from "./use-keys.js";

export type HistoryMode = "table" | "filters" | "details" | "export";

/** The CSV download's own choices; the rows are the current filter's. */
export interface CsvOptions {
  path: string;
  lang: "en" | "ja";
  encoding: "utf-8" | "shift_jis";
  extended: ExtendedFilter;
}
export type CsvField = keyof CsvOptions;
const csvFields: CsvField[] = ["path", "lang", "encoding", "extended"];

export interface HistoryScreenOptions {
  onBack(): void;
  onOpenFix(target: FixTarget): void;
  /** Rows per page; the API allows up to 500. */
  pageSize?: number;
  initialFilter?: Partial<HistoryFilter>;
}

export interface HistoryScreenState {
  mode: HistoryMode;
  /** The filter the table shows, and the one being edited in the filters form. */
  filter: HistoryFilter;
  draft: HistoryFilter;
  focus: FilterField;
  filterError: string | undefined;
  pages: HistoryPages;
  lines: HistoryLine[];
  selected: number;
  current: HistoryRow | null;
  target: FixTarget | null;
  csv: CsvOptions;
  csvFocus: CsvField;
  langOptions: readonly { value: CsvOptions["lang"]; label: string }[];
  encodingOptions: readonly { value: CsvOptions["encoding"]; label: string }[];
  csvExtendedOptions: { value: ExtendedFilter; label: string }[];
  status: FrameStatus | null;
  /** The key-help line's entries for the mode, from the same bindings the keys are handled by. */
  keys: string[];
}

/** The field after (step 1) or before (step -1) `at`, going round. */
function around<T>(fields: readonly T[], at: T, step: 1 | -1): T {
  const i = fields.indexOf(at);
  return fields[(i + fields.length + step) % fields.length] as T;
}

export function useHistoryScreen({
  onBack,
  onOpenFix,
  pageSize = 100,
  initialFilter,
}: HistoryScreenOptions): HistoryScreenState {
  const { m, lang, size, timeZone, now } = useUi();
  const { api } = useSession();
  // "Viewer and client" and "All connections" show every attempt, where the troubleshooting path
  // (docs/domain.md) starts.
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
  const [mode, setMode] = useState<HistoryMode>("table");
  const [focus, setFocus] = useState<FilterField>("role");
  const [filterError, setFilterError] = useState<string | undefined>();
  const [selected, setSelected] = useState(0);
  const [csv, setCsv] = useState<CsvOptions>({
    path: DEFAULT_CSV_PATH,
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
    if (!res.ok) return setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, res.error) });
    try {
      const saved = await writeCsvFile(csv.path, res.value);
      setStatus({ kind: "success", text: m.exported(saved.path, saved.rows) });
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

  const filterIsChoice = focus === "role" || focus === "result" || focus === "extended";
  const editFilter: Parameters<typeof useBindings>[2] = (input, key) => {
    if (filterIsChoice) return;
    setDraft((d) => ({ ...d, [focus]: editText(d[focus], input, key, 128) }));
  };
  const editCsvPath: Parameters<typeof useBindings>[2] = (input, key) => {
    if (csvFocus === "path") setCsv((c) => ({ ...c, path: editText(c.path, input, key, 1024) }));
  };
  const page = Math.max(1, size.rows - FRAME_LINES - 3);

  const keys = useBindings(
    historyKeys[mode],
    mode === "filters"
      ? {
          back: () => {
            setDraft(filter);
            setMode("table");
          },
          apply: applyFilter,
          nextField: () => setFocus((f) => around(filterFields, f, 1)),
          prevField: () => setFocus((f) => around(filterFields, f, -1)),
          cycle: (input, key) => {
            // Space types into a text field; ←→ move nowhere in one.
            if (!filterIsChoice) return editFilter(input, key);
            const step = key.leftArrow ? -1 : 1;
            setDraft((d) =>
              focus === "role"
                ? reconcile({ ...d, role: cycle(roleOptions(m), d.role, step) }, "role")
                : focus === "extended"
                  ? reconcile({ ...d, extended: cycle(extendedOptions(m), d.extended, step) }, "extended")
                  : { ...d, result: cycle(resultOptions(m), d.result, step) },
            );
          },
        }
      : mode === "details"
        ? {
            ...(target ? { fix: () => onOpenFix(target) } : {}),
            back: () => setMode("table"),
          }
        : mode === "export"
          ? {
              back: () => setMode("table"),
              save: () => void exportCsv(),
              nextField: () => setCsvFocus((f) => around(csvFields, f, 1)),
              prevField: () => setCsvFocus((f) => around(csvFields, f, -1)),
              cycle: (input, key) => {
                if (csvFocus === "path") return editCsvPath(input, key);
                const step = key.leftArrow ? -1 : 1;
                setCsv((c) =>
                  csvFocus === "lang"
                    ? { ...c, lang: cycle(langOptions, c.lang, step) }
                    : csvFocus === "encoding"
                      ? { ...c, encoding: cycle(encodingOptions, c.encoding, step) }
                      : { ...c, extended: cycle(csvExtendedOptions, c.extended, step) },
                );
              },
            }
          : {
              move: (_input, key) => {
                if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
                else if (key.downArrow) setSelected((s) => Math.min(rowCount - 1, s + 1));
                else if (key.pageUp) setSelected((s) => Math.max(0, s - page));
                else setSelected((s) => Math.min(rowCount - 1, s + page));
              },
              page: (input, key) => {
                const forward = input === "n" || key.rightArrow;
                if (forward ? !pages.hasNext : pages.index === 0) return;
                if (forward) pages.next();
                else pages.prev();
                setSelected(0);
              },
              details: () => {
                if (current) setMode("details");
              },
              ...(target ? { fix: () => onOpenFix(target) } : {}),
              filters: () => {
                setDraft(filter);
                setFocus("role");
                setMode("filters");
              },
              export: () => {
                // The extended display of the table, unless the type filter rules it out.
                setCsv((c) => ({ ...c, extended: filter.extended }));
                setCsvFocus("path");
                setStatus(null);
                setMode("export");
              },
              reload: () => pages.reload(),
              back: onBack,
            },
    mode === "filters" ? editFilter : mode === "export" ? editCsvPath : undefined,
  );

  const shownStatus: FrameStatus | null =
    status ?? (pages.error ? { kind: "error", text: describeFailure(m, api.baseUrl, pages.error) } : null);

  return {
    mode,
    filter,
    draft,
    focus,
    filterError,
    pages,
    lines,
    selected,
    current,
    target,
    csv,
    csvFocus,
    langOptions,
    encodingOptions,
    csvExtendedOptions,
    status: shownStatus,
    keys,
  };
}
