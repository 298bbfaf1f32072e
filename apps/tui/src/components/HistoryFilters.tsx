/** The access history's filters (seed 002 step 5): type, authentication result, user name, period. */
import { Box, Text } from "ink";
import { useUi } from "../app/ui-context.js";
import type { Messages } from "../i18n.js";
import { Choice } from "./Choice.js";
import { TextField } from "./TextField.js";

export type RoleFilter = "both" | "viewer" | "client";
export type ResultFilter = "all" | "success" | "failure";

export interface HistoryFilter {
  role: RoleFilter;
  result: ResultFilter;
  user: string;
  from: string;
  to: string;
}

export type FilterField = keyof HistoryFilter;
export const filterFields: FilterField[] = ["role", "result", "user", "from", "to"];

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
      {error ? <Text color={color("error")}>{error}</Text> : null}
    </Box>
  );
}
