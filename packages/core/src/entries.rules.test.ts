/** The package's entry points (docs/architecture.md, "Entry points"): what "." carries and what only a subpath does. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const manifest: { exports: Record<string, string> } = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
);
const subpaths = Object.entries(manifest.exports).filter(([key]) => key !== ".");

describe("@tsunagi/core's entry points", () => {
  it("'.' carries no docs generator: it renders a document, which only development does", async () => {
    const wide = await import("./index.js");
    expect(Object.keys(wide)).not.toContain("renderReasonsMarkdown");
    const docs = await import("./docs.js");
    expect(Object.keys(docs)).toContain("renderReasonsMarkdown");
  });

  it("'.' carries no password hashing: loading it (the agent, the TUI) never loads argon2", async () => {
    const wide = Object.keys(await import("./index.js"));
    for (const name of ["hashSecret", "verifySecret", "verifyAgainstDummy"]) expect(wide).not.toContain(name);
    expect(Object.keys(await import("./password.js"))).toContain("hashSecret");
  });

  it("every name '.' exports is exported by a subpath too, so every import can be narrow", async () => {
    const wide = Object.keys(await import("./index.js"));
    const narrow = new Set<string>();
    for (const [, file] of subpaths) {
      for (const name of Object.keys(await import(new URL(`../${file}`, import.meta.url).href))) {
        narrow.add(name);
      }
    }
    expect(wide.filter((name) => !narrow.has(name))).toEqual([]);
  });
});
