// The test naming scheme of docs/architecture.md ("Tests"): `<subject>.<aspect>.test.ts[x]`, the
// aspect one of a small set, so a file's name says what it tests and how.

/** What a test file proves about its subject; docs/architecture.md, "Tests", says when to use which. */
export const TEST_ASPECTS = [
  "unit",
  "property",
  "queries",
  "happy",
  "error",
  "security",
  "race",
  "e2e",
  "rules",
] as const;
export type TestAspect = (typeof TEST_ASPECTS)[number];

const TEST_FILE = /\.(?:test|spec)\.[cm]?[jt]sx?$/;
const SCHEME = new RegExp(
  `^[A-Za-z0-9][A-Za-z0-9-]*(?:\\.[A-Za-z0-9-]+)*\\.(${TEST_ASPECTS.join("|")})\\.test\\.tsx?$`,
);

/** Whether `path` names a test file at all (vitest's default pattern and the `.spec` spelling). */
export const isTestFile = (path: string): boolean => TEST_FILE.test(path);

/** The test files among `paths` whose name breaks the scheme. */
export function misnamedTests(paths: readonly string[]): string[] {
  return paths.filter((path) => isTestFile(path) && !SCHEME.test(path.slice(path.lastIndexOf("/") + 1)));
}
