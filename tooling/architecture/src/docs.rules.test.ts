// docs/domain.md and docs/architecture.md name files, tests and functions: each must still be there, so a
// move or a rename that forgets the documents fails here instead of leaving a reader lost.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const DOCS = ["docs/domain.md", "docs/architecture.md"];
/** Members the documents announce before they land (docs/architecture.md, "The house"). */
const PLANNED = new Set(["packages/api-contract"]);

const read = (path: string) => readFileSync(join(root, path), "utf8");

/** Every `apps/…`, `packages/…`, `tooling/…` or `docs/…` path written in backticks. */
function citedPaths(markdown: string): string[] {
  const paths = [...markdown.matchAll(/`((?:apps|packages|tooling|docs)\/[^`\s…*{}]+)`/g)].map(
    (m) => m[1] as string,
  );
  return [...new Set(paths)];
}

/** The login path table's rows: the file (second column) and the functions (third column). */
function loginPathRows(markdown: string): { file: string; functions: string[] }[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith("One login attempt")) ?? "";
  return section
    .split("\n")
    .filter((line) => /^\|\s*\d+\s*\|/.test(line))
    .map((line) => {
      const cells = line.split("|").map((cell) => cell.trim());
      const names = (cell: string | undefined) =>
        [...(cell ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
      return { file: names(cells[2])[0] ?? "", functions: names(cells[3]) };
    });
}

describe("the project's documents", () => {
  it.each(DOCS)("%s names only files that exist", (doc) => {
    const missing = citedPaths(read(doc)).filter(
      (path) => !PLANNED.has(path) && !existsSync(join(root, path)),
    );
    expect(missing).toEqual([]);
  });

  it("the login path names each function in the file beside it", () => {
    const rows = loginPathRows(read("docs/architecture.md"));
    expect(rows.length).toBeGreaterThan(10);
    const wrong = rows.flatMap(({ file, functions }) => {
      const text = existsSync(join(root, file)) ? read(file) : "";
      return functions
        .filter((name) => !new RegExp(`\\b${name}\\b`).test(text))
        .map((name) => `${file}: ${name}`);
    });
    expect(wrong).toEqual([]);
  });

  it("reads paths and table rows as written", () => {
    expect(
      citedPaths("see `apps/relay/src/auth.ts` and `@tsunagi/db/src/…`, not `apps/x/*.test.ts`"),
    ).toEqual(["apps/relay/src/auth.ts"]);
    expect(loginPathRows("## One login attempt\n\n| 1 | `a/b.ts` | `f`, `g` | x |\n")).toEqual([
      { file: "a/b.ts", functions: ["f", "g"] },
    ]);
  });
});
