/** One labelled input line: the value (dots for a password), a cursor when focused, and its error. */
import { Box, Text } from "ink";
import { useUi } from "../app/ui-context.js";
import { fit } from "../lib/text.js";

export interface TextFieldProps {
  label: string;
  value: string;
  focused: boolean;
  masked?: boolean;
  hint?: string | undefined;
  labelWidth?: number;
  error?: string | undefined;
}

export function TextField({ label, value, focused, masked, hint, labelWidth = 16, error }: TextFieldProps) {
  const { color } = useUi();
  const shown = masked ? "•".repeat([...value].length) : value;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold={focused} color={focused ? color("accent") : undefined}>
          {focused ? "› " : "  "}
          {fit(label, labelWidth)}
        </Text>{" "}
        {shown}
        {focused ? <Text inverse> </Text> : null}
        {!value && hint ? <Text color={color("muted")}> {hint}</Text> : null}
      </Text>
      {error ? (
        <Text color={color("error")} wrap="truncate">
          {"  "}
          {error}
        </Text>
      ) : null}
    </Box>
  );
}
