/** A labelled choice of a few options, the chosen one bracketed; ←/→ or Space changes it. */
import { Text } from "ink";
import { useUi } from "../app/ui-context.js";
import { fit } from "../lib/text.js";

export interface ChoiceProps<T extends string> {
  label: string;
  options: readonly { value: T; label: string }[];
  value: T;
  focused: boolean;
  labelWidth?: number;
}

export function Choice<T extends string>({
  label,
  options,
  value,
  focused,
  labelWidth = 16,
}: ChoiceProps<T>) {
  const { color } = useUi();
  return (
    <Text wrap="truncate">
      <Text bold={focused} color={focused ? color("accent") : undefined}>
        {focused ? "› " : "  "}
        {fit(label, labelWidth)}
      </Text>{" "}
      {options.map((o, i) => (
        <Text key={o.value} bold={o.value === value}>
          {i > 0 ? " " : ""}
          {o.value === value ? `[${o.label}]` : ` ${o.label} `}
        </Text>
      ))}
    </Text>
  );
}

/** The option after (or before) `value`, wrapping round. */
export function cycle<T extends string>(options: readonly { value: T }[], value: T, step: 1 | -1 = 1): T {
  const i = options.findIndex((o) => o.value === value);
  const next = options[(i + step + options.length) % options.length];
  return next ? next.value : value;
}
