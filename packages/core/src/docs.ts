/**
 * Renders docs/reasons.md from the reason catalogue, so the document can never disagree with the code
 * (a test compares the checked-in file with this output; `pnpm gen:docs` rewrites it).
 */
import type { Model } from "./domain.js";
import { type ReasonKey, reasonKeys, reasons } from "./reasons.js";

const modelNames: Record<Model, string> = { legacy: "legacy", neo: "neo" };

function section(key: ReasonKey): string {
  const r = reasons[key];
  const code = r.code === null ? "— (no history row)" : String(r.code);
  const lines = [
    `### ${code} · \`${key}\``,
    "",
    `- code: ${code}${r.ours ? " (ours)" : ""}`,
    `- models: ${r.models.map((m) => modelNames[m]).join(", ")}`,
    `- roles: ${r.roles.join(", ")}`,
    `- severity: ${r.severity}`,
    `- fix: ${r.fix ?? "—"}`,
    `- en: ${r.message.en}`,
    `- ja: ${r.message.ja}`,
    "",
    `**Explanation.** ${r.explanation.en}`,
    "",
    `**説明。** ${r.explanation.ja}`,
    "",
    "**Response.**",
    "",
    ...r.response.en.map((step) => `- ${step}`),
    "",
    "**対処方法。**",
    "",
    ...r.response.ja.map((step) => `- ${step}`),
    "",
  ];
  return lines.join("\n");
}

function summaryLine(key: ReasonKey): string {
  const r = reasons[key];
  const code = r.code === null ? "—" : String(r.code);
  return `- ${code} \`${key}\` (${r.models.join(", ")}; ${r.roles.join(", ")}): ${r.message.en}`;
}

/** The whole of docs/reasons.md. */
export function renderReasonsMarkdown(): string {
  return [
    "# Authentication reasons",
    "",
    "<!-- Generated from packages/core/src/reasons.ts by `pnpm --filter @tsunagi/core gen:docs`. Do not edit. -->",
    "",
    "Every reason an authentication attempt is recorded with in the access history, for both models",
    "(legacy and neo), in English and Japanese, with the response steps the admin tools show. The CSV",
    "download carries the message followed by its code, e.g. `… (110200)`. Codes are not unique; the key",
    "is. Codes of 900000 and above are **ours** (this project's own reasons) and never collide with the",
    "service's. The person at the viewer or client never sees any of this: only a reference code (283",
    "client, 291 USB / fingerprint viewer, 293 terminal-auth / mobile viewer).",
    "",
    "Evaluation order (the reason recorded when several things are wrong is the first that applies):",
    "unknown user → lockout → password → client not permitted → product not permitted / mobile",
    "concurrent use → USB key → edition → MAC (legacy) → IP → terminal authentication → duplicate session.",
    "",
    "## Summary",
    "",
    ...reasonKeys.map(summaryLine),
    "",
    "## Reasons",
    "",
    ...reasonKeys.map(section),
  ].join("\n");
}
