/**
 * The key-help line: the keys the current view answers to. On a narrow terminal the keys every view
 * shares (quit, then language) give way first, so the view's own keys stay readable; only then is
 * the line cut to the terminal's width. A view's keys come from its bindings (lib/key-bindings.ts).
 */
import { Text } from "ink";
import { useUi } from "../app/ui-context.js";
import { sharedHelp } from "../lib/key-bindings.js";
import { cells, truncate } from "../lib/text.js";

export function keyHelpText(keys: string[], shared: string[], columns: number): string {
  for (let keep = shared.length; keep >= 0; keep--) {
    const line = [...keys, ...shared.slice(0, keep)].join("  ");
    if (cells(line) <= columns) return line;
  }
  return truncate(keys.join("  "), columns);
}

export function KeyHelp({ keys }: { keys: string[] }) {
  const { size, m, color } = useUi();
  return (
    <Text inverse color={color("muted")} wrap="truncate">
      {keyHelpText(keys, sharedHelp(m), size.columns)}
    </Text>
  );
}
