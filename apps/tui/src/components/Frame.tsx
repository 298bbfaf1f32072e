/**
 * The screen every view sits in: a title line (who is logged in to which contract), the body, a
 * status line for results and errors, and the key-help line, which is always the last line so an
 * admin over SSH never has to guess a key.
 */
import { Box, Text } from "ink";
import type { ReactNode } from "react";
import { useUi } from "../app/ui-context.js";
import { cells, truncate } from "../lib/text.js";
import { KeyHelp } from "./KeyHelp.js";

export interface FrameStatus {
  kind: "info" | "success" | "error";
  text: string;
}

export interface FrameProps {
  title: string;
  /** Who is logged in to which contract, long and short; absent before login. */
  context?: { long: string; short: string } | undefined;
  status?: FrameStatus | null | undefined;
  keys: string[];
  children: ReactNode;
}

/** Lines the frame itself takes: title, rule, status, key help. */
export const FRAME_LINES = 4;

export function Frame({ title, context, status, keys, children }: FrameProps) {
  const { size, m, color } = useUi();
  // The title comes first: at 80 columns the context drops the app name and the language.
  const wide = size.columns >= 110;
  const right = wide ? (context ? `${context.long} · ${m.language}` : m.language) : (context?.short ?? "");
  const room = size.columns - cells(right) - 1;
  const left = truncate(wide || !context ? `${m.appTitle} · ${title}` : title, Math.max(10, room));
  const gap = Math.max(1, size.columns - cells(left) - cells(right));
  return (
    <Box flexDirection="column" width={size.columns} height={size.rows}>
      <Text bold wrap="truncate">
        <Text color={color("accent")}>{left}</Text>
        {" ".repeat(gap)}
        {right}
      </Text>
      <Text color={color("muted")}>{"─".repeat(size.columns)}</Text>
      <Box flexDirection="column" flexGrow={1} overflow="hidden">
        {children}
      </Box>
      <Text
        wrap="truncate"
        color={
          status
            ? color(status.kind === "error" ? "error" : status.kind === "success" ? "success" : "accent")
            : undefined
        }
      >
        {status ? status.text : " "}
      </Text>
      <KeyHelp keys={keys} />
    </Box>
  );
}
