import { describe, expect, it } from "vitest";
import { cells } from "../lib/text.js";
import { keyHelpText } from "./KeyHelp.js";

describe("key-help line", () => {
  const view = [
    "↑↓ move",
    "n/p page",
    "Enter Details",
    "g go to fix",
    "f filters",
    "x export CSV",
    "Esc back",
  ];
  const shared = ["F2 日本語", "Ctrl+C quit"];

  it("keeps every key when the terminal is wide enough", () => {
    expect(keyHelpText(view, shared, 120)).toBe([...view, ...shared].join("  "));
  });

  it("drops the shared keys, quit first, before cutting any of the view's own at 80 columns", () => {
    const line = keyHelpText(view, shared, 80);
    for (const k of view) expect(line).toContain(k);
    expect(line).not.toContain("Ctrl+C");
    expect(cells(line)).toBeLessThanOrEqual(80);
  });

  it("cuts the view's keys only when they alone are too wide", () => {
    const line = keyHelpText(view, shared, 40);
    expect(cells(line)).toBeLessThanOrEqual(40);
    expect(line.startsWith("↑↓ move")).toBe(true);
  });
});
