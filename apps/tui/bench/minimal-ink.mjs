// The start-up baseline of apps/platform/bench/startup.ts: the smallest Ink program, one line of text,
// run with plain node. Any TUI built on Ink pays at least this to reach its first screen.
import { render, Text } from "ink";
import { createElement } from "react";

render(createElement(Text, null, "Account manager login"));
