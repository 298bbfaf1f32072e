/**
 * A form drawn as label / value lines, scrolled so the focused line stays in view: the user edit and
 * batch screens, whose fields outnumber the lines of an 80×24 terminal.
 */
import { Box, Text } from "ink";
import { useUi } from "../app/ui-context.js";
import { cells, fit } from "../lib/text.js";

/** The end of `text` in at most `width` cells: while typing, the cursor end is what matters. */
function tail(text: string, width: number): string {
  if (cells(text) <= width) return text;
  const chars = [...text];
  let out = "";
  while (chars.length && cells(`…${chars.at(-1)}${out}`) <= width) out = `${chars.pop()}${out}`;
  return `…${out}`;
}

export interface FieldLine {
  id: string;
  label: string;
  value: string;
  /** Section heading shown before the line (e.g. "Program permissions"). */
  section?: string;
  kind: "toggle" | "choice" | "text" | "secret";
  /** Highlights a value that will change on save. */
  changed?: boolean;
  /** Shown dimmed while the value is empty (what empty means, e.g. "contract default"). */
  placeholder?: string;
}

export interface FieldListProps {
  fields: FieldLine[];
  focus: string;
  height: number;
  labelWidth?: number;
}

export function FieldList({ fields, focus, height, labelWidth = 30 }: FieldListProps) {
  const { color, size } = useUi();
  const valueWidth = Math.max(8, size.columns - 2 - 2 - labelWidth - 1 - 1);
  const rows: { key: string; node: React.ReactNode; field?: string }[] = [];
  for (const f of fields) {
    if (f.section) {
      rows.push({
        key: `s-${f.id}`,
        node: (
          <Text bold color={color("accent")} wrap="truncate">
            {f.section}
          </Text>
        ),
      });
    }
    const isFocus = f.id === focus;
    const masked = f.kind === "secret" ? "•".repeat([...f.value].length) : f.value;
    const shown = isFocus && (f.kind === "text" || f.kind === "secret") ? tail(masked, valueWidth) : masked;
    rows.push({
      key: f.id,
      field: f.id,
      node: (
        <Text wrap="truncate" inverse={isFocus}>
          {isFocus ? "› " : "  "}
          {fit(f.label, labelWidth)}{" "}
          {shown === "" && f.placeholder ? (
            <Text dimColor>{f.placeholder}</Text>
          ) : (
            <Text color={f.changed ? color("warn") : undefined}>{shown}</Text>
          )}
          {isFocus && (f.kind === "text" || f.kind === "secret") ? "▏" : ""}
        </Text>
      ),
    });
  }
  const at = rows.findIndex((r) => r.field === focus);
  const start = Math.max(0, Math.min(at - Math.floor(height / 2), rows.length - height));
  return (
    <Box flexDirection="column">
      {rows.slice(start, start + height).map((r) => (
        <Box key={r.key}>{r.node}</Box>
      ))}
    </Box>
  );
}
