/** The key-help line: the keys the current view answers to, cut to the terminal's width. */
import { Text } from "ink";
import { useUi } from "../app/ui-context.js";
import { truncate } from "../lib/text.js";

export function KeyHelp({ keys }: { keys: string[] }) {
  const { size, m, color } = useUi();
  const all = [...keys, m.keyLang, m.keyQuit].join("  ");
  return (
    <Text inverse color={color("muted")} wrap="truncate">
      {truncate(all, size.columns)}
    </Text>
  );
}
