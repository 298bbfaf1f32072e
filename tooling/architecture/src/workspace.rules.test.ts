// The dependency rules of docs/architecture.md over the workspace as it is on disk: every member's
// package.json and every import in its files, whatever packages exist when the suite runs.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkWorkspace, formatViolation, type Rule, type Violation } from "./rules.js";
import { loadWorkspace } from "./workspace.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * The one list of known violations, each being removed by work in progress. Delete an entry when
 * its fix lands: the second test fails while an entry matches nothing, so the list cannot go stale.
 */
const KNOWN_EXCEPTIONS: { rule: Rule; file: string; specifier: string }[] = [
  // None now. Until `pnpm start` moved to apps/platform this held the TUI's launcher
  // (apps/tui/src/platform/start.ts importing the relay, the admin API and the fixtures at run time).
];

const isKnown = (v: Violation) =>
  KNOWN_EXCEPTIONS.some((e) => e.rule === v.rule && e.file === v.file && e.specifier === v.specifier);

describe("the workspace's dependencies", () => {
  const workspace = loadWorkspace(root);
  const violations = checkWorkspace(workspace);

  it("reads the members and their sources", () => {
    const names = workspace.members.map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining(["@tsunagi/core", "@tsunagi/relay", "@tsunagi/architecture"]),
    );
    // The relay's handshake is found, so a rule that passes has looked at real code.
    const relayImports = workspace.files
      .filter((f) => f.member.name === "@tsunagi/relay")
      .flatMap((f) => f.imports);
    expect(relayImports.some((i) => /^@tsunagi\/core(\/|$)/.test(i.specifier))).toBe(true);
  });

  it("keep every rule of docs/architecture.md", () => {
    expect(violations.filter((v) => !isKnown(v)).map(formatViolation)).toEqual([]);
  });

  it("need every known exception still listed", () => {
    const stale = KNOWN_EXCEPTIONS.filter(
      (e) => !violations.some((v) => v.rule === e.rule && v.file === e.file && v.specifier === e.specifier),
    );
    expect(stale, "fixed: delete these from KNOWN_EXCEPTIONS").toEqual([]);
  });
});
