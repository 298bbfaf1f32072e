import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderReasonsMarkdown } from "./docs.js";
import {
  csvMessage,
  OUR_CODE_FLOOR,
  ReasonKey,
  reasonKeys,
  reasonMessage,
  reasons,
  reasonsOf,
} from "./reasons.js";

/** Every code docs/domain.md names, per model. */
const legacyCodes = [
  110200, 90100, 280100, 80100, 70100, 290100, 60100, 270100, 120300, 40100, 40200, 200200, 170400, 180200,
  190500, 190100, 140200, 30100, 30200,
];
const neoCodes = [110200, 120300, 320100, 40200, 200300, 200400, 190500];

describe("the reason catalogue", () => {
  it("covers every code of docs/domain.md for both models", () => {
    const codes = (model: "legacy" | "neo") => new Set(reasonsOf(model).map((key) => reasons[key].code));
    for (const code of legacyCodes) expect(codes("legacy")).toContain(code);
    for (const code of neoCodes) expect(codes("neo")).toContain(code);
  });

  it("keeps our codes out of the service's range, and only ours there", () => {
    for (const key of reasonKeys) {
      const { code, ours, recorded } = reasons[key];
      if (!recorded) continue;
      expect(code).not.toBeNull();
      expect((code ?? 0) >= OUR_CODE_FLOOR).toBe(ours);
    }
    expect(reasons["locked-out"].ours).toBe(true);
  });

  it("has both languages, an explanation and response steps for every entry", () => {
    for (const key of reasonKeys) {
      const r = reasons[key];
      for (const lang of ["en", "ja"] as const) {
        expect(r.message[lang].length).toBeGreaterThan(0);
        expect(r.explanation[lang].length).toBeGreaterThan(0);
        expect(r.response[lang].length).toBeGreaterThan(0);
      }
      expect(r.response.en.length).toBe(r.response.ja.length);
      expect(/[ぁ-んァ-ン一-龯]/.test(r.message.ja)).toBe(true);
    }
  });

  it("marks only 200200 as info", () => {
    expect(reasonKeys.filter((key) => reasons[key].severity === "info")).toEqual([
      "terminal-auth-registered",
    ]);
  });

  it("gives the seeds' wording and the CSV form ending in the code", () => {
    expect(reasonMessage("mac-not-allowed", "en")).toBe(
      "Connection has been denied due to MAC address restriction.",
    );
    expect(csvMessage("password-mismatch-viewer", "ja")).toBe(
      "ビューアから送信されたパスワードと、サーバに登録されているパスワードが異なります。 (110200)",
    );
    expect(csvMessage("product-not-allowed-ndl-s", "en")).toBe(
      "Connection from NDL.S is not allowed by user management. (70100)",
    );
    expect(csvMessage("locked-out", "en")).toMatch(/ \(910100\)$/);
  });

  it("parses reason keys on the wire", () => {
    expect(ReasonKey.parse("duplicate-client")).toBe("duplicate-client");
    expect(ReasonKey.safeParse("30200").success).toBe(false);
  });
});

describe("docs/reasons.md", () => {
  const path = fileURLToPath(new URL("../../../docs/reasons.md", import.meta.url));

  it("is up to date with the catalogue (run `pnpm --filter @tsunagi/core gen:docs`)", () => {
    expect(readFileSync(path, "utf8")).toBe(renderReasonsMarkdown());
  });

  it("lists every key, both languages and every code", () => {
    const doc = renderReasonsMarkdown();
    for (const key of reasonKeys) {
      expect(doc).toContain(`\`${key}\``);
      expect(doc).toContain(reasons[key].message.ja);
      expect(doc).toContain(reasons[key].response.en[0]);
    }
    for (const code of [...legacyCodes, ...neoCodes]) expect(doc).toContain(`- code: ${code}`);
  });
});
