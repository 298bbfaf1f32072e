/** Writes docs/reasons.md at the repository root from the catalogue: `pnpm gen:docs`. */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderReasonsMarkdown } from "../src/docs.js";

const reasonsDocPath = fileURLToPath(new URL("../../../docs/reasons.md", import.meta.url));

writeFileSync(reasonsDocPath, renderReasonsMarkdown());
console.log(`wrote ${reasonsDocPath}`);
