/**
 * The access history's filters (docs/domain.md, "The access history"): type, authentication result,
 * user name, period, and the extended display (the target client of each viewer row, or the source
 * viewer of each client row), which implies its row type.
 */
import { Box, Text } from "ink";
import { useUi } from "../app/ui-context.js";
import type { Messages } from "../i18n/index.js";
import { Choice } from "./Choice.js";
import { TextField } from "./TextField.js";

export type RoleFilter = "both" | "viewer" | "client";
export type ResultFilter = "all" | "success" | "failure";
export type ExtendedFilter = "none" | "target" | "source";

export interface HistoryFilter {
  role: RoleFilter;
  result: ResultFilter;
  user: string;
  from: string;
  to: string;
  extended: ExtendedFilter;
}

export type FilterField = keyof HistoryFilter;
export const filterFields: FilterField[] = ["role", "result", "user", "from", "to", "extended"];

export const roleOptions = (m: Messages) =>
  [
    { value: "viewer", label: m.typeViewer },
    { value: "client", label: m.typeClient },
    { value: "both", label: m.typeBoth },
  ] as const;
export const resultOptions = (m: Messages) =>
  [
    { value: "success", label: m.resultSuccess },
    { value: "failure", label: m.resultFailure },
    { value: "all", label: m.resultAll },
  ] as const;

export const extendedOptions = (m: Messages) =>
  [
    { value: "none", label: m.extendedNone },
    { value: "target", label: m.extendedTarget },
    { value: "source", label: m.extendedSource },
  ] as const;

/** The row type an extended display shows: viewer rows carry a target client, client rows a source viewer. */
export const extendedRole = { target: "viewer", source: "client" } as const;

/**
 * The filter after the admin changed one of type and extended display, the other following so the
 * two never contradict (the API refuses extended=target with client rows).
 */
export function reconcile(filter: HistoryFilter, changed: "role" | "extended"): HistoryFilter {
  if (filter.extended === "none") return filter;
  const implied = extendedRole[filter.extended];
  if (filter.role === implied) return filter;
  return changed === "extended" ? { ...filter, role: implied } : { ...filter, extended: "none" };
}

export interface HistoryFiltersProps {
  filter: HistoryFilter;
  /** The field being edited, or null when the filters are only shown. */
  focus: FilterField | null;
  error?: string | undefined;
}

export function HistoryFilters({ filter, focus, error }: HistoryFiltersProps) {
  const { m, color } = useUi();
  if (focus === null) {
    const role = roleOptions(m).find((o) => o.value === filter.role)?.label;
    const result = resultOptions(m).find((o) => o.value === filter.result)?.label;
    const period = filter.from || filter.to ? `${filter.from || "…"} – ${filter.to || "…"}` : "";
    return (
      <Text wrap="truncate" color={color("muted")}>
        {m.type}: {role} · {m.result}: {result}
        {filter.user ? ` · ${m.userName}: ${filter.user}` : ""}
        {period ? ` · ${m.period}: ${period}` : ""}
        {filter.extended !== "none"
          ? ` · ${m.extended}: ${extendedOptions(m).find((o) => o.value === filter.extended)?.label}`
          : ""}
      </Text>
    );
  }
  return (
    <Box flexDirection="column">
      <Choice label={m.type} options={roleOptions(m)} value={filter.role} focused={focus === "role"} />
      <Choice
        label={m.result}
        options={resultOptions(m)}
        value={filter.result}
        focused={focus === "result"}
      />
      <TextField label={m.userName} value={filter.user} focused={focus === "user"} />
      <TextField label={m.from} value={filter.from} focused={focus === "from"} hint="11/15 00:00" />
      <TextField label={m.to} value={filter.to} focused={focus === "to"} hint="11/16 23:59" />
      <Text color={color("muted")} wrap="truncate">
        {m.periodHint}
      </Text>
      <Choice
        label={m.extended}
        options={extendedOptions(m)}
        value={filter.extended}
        focused={focus === "extended"}
      />
      {error ? <Text color={color("error")}>{error}</Text> : null}
    </Box>
  );
}
