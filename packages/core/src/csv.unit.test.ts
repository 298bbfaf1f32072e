import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvCell, csvInteger, csvRestoreCell } from "./csv.js";

/** OWASP's six: a cell starting with one of them is run by a spreadsheet. */
const OWASP = ["=", "+", "-", "@", "\t", "\r"];

/** The text of one quoted or bare cell, as a CSV reader sees it. */
function read(cell: string): string {
  return cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell;
}

describe("csvCell", () => {
  it.each(OWASP)("neutralises a cell starting with %j: prefixed with ' and quoted", (ch) => {
    const value = `${ch}HYPERLINK("//x.io")`;
    expect(csvCell(value)).toBe(`"'${value.replaceAll('"', '""')}"`);
  });

  it("neutralises a negative number and a time-zone offset as text, and the full-width forms", () => {
    expect(csvCell("-5")).toBe(`"'-5"`);
    expect(csvCell("+09:00")).toBe(`"'+09:00"`);
    expect(csvCell("＝1+1")).toBe(`"'＝1+1"`);
  });

  it("leaves ordinary values bare and quotes only what RFC 4180 (or a ; locale) needs", () => {
    expect(csvCell("user1")).toBe("user1");
    expect(csvCell("00:1b:44:11:3a:b7")).toBe("00:1b:44:11:3a:b7");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("a;=1+2")).toBe('"a;=1+2"');
    expect(csvCell(null)).toBe("");
  });

  it("writes numbers the exporter formats as numbers", () => {
    expect(csvInteger(-5)).toBe("-5");
    expect(csvInteger(3600)).toBe("3600");
    expect(csvInteger(null)).toBe("");
    expect(csvInteger(Number.NaN)).toBe("NaN");
  });

  it("property: no cell reads as starting with a dangerous character, and the import restores it", () => {
    const dangerous = fc.constantFrom(...OWASP, "'", "＝", "\n");
    const value = fc.oneof(
      fc.string(),
      fc.tuple(dangerous, fc.string()).map(([d, s]) => d + s),
      fc.array(fc.constantFrom(...OWASP, "'", '"', ",", ";", "a"), { maxLength: 6 }).map((a) => a.join("")),
    );
    fc.assert(
      fc.property(value, (text) => {
        const cell = read(csvCell(text));
        expect(OWASP.some((ch) => cell.startsWith(ch))).toBe(false);
        expect(csvRestoreCell(cell)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});
