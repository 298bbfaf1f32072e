/**
 * The confirmation before a change is committed ("The changes will be committed to the system.
 * Proceed?", the service's OK / Cancel dialog): y or Enter confirms, n or Esc cancels.
 */
import { Box, Text } from "ink";
import { useUi } from "../app/ui-context.js";

export interface ConfirmDialogProps {
  question: string;
  /** What will change, one line each, so the admin confirms something specific. */
  summary?: string[];
}

export function ConfirmDialog({ question, summary = [] }: ConfirmDialogProps) {
  const { m, color } = useUi();
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={color("warn")} paddingX={1}>
      <Text bold>{question}</Text>
      {summary.map((line) => (
        <Text key={line} wrap="truncate">
          • {line}
        </Text>
      ))}
      <Text>
        <Text bold inverse>
          {` ${m.ok} (y) `}
        </Text>
        {"  "}
        <Text bold>{` ${m.cancel} (n) `}</Text>
      </Text>
    </Box>
  );
}
