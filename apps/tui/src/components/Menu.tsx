/** A vertical menu: numbered items, the selected one marked; the container moves the selection. */
import { Box, Text } from "ink";
import { useUi } from "../app/ui-context.js";

export interface MenuProps {
  items: { id: string; label: string }[];
  selected: number;
}

export function Menu({ items, selected }: MenuProps) {
  const { color } = useUi();
  return (
    <Box flexDirection="column">
      {items.map((item, i) => (
        <Text
          key={item.id}
          bold={i === selected}
          color={i === selected ? color("accent") : undefined}
          inverse={i === selected}
        >
          {i === selected ? "› " : "  "}
          {i + 1}. {item.label}
        </Text>
      ))}
    </Box>
  );
}
