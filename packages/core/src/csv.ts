/**
 * CSV cells for the exports an account manager opens in a spreadsheet: RFC 4180 quoting, and no cell
 * that a spreadsheet would run as a formula (OWASP's CSV-injection rule). Every export writes its cells
 * through `csvCell`, so what the database holds (a user name, a MAC an agent reported) is shown, never
 * run.
 */

/**
 * The first characters that make a spreadsheet read a cell as a formula (or as the start of one after
 * it strips them): OWASP's list `=` `+` `-` `@` tab (0x09) and CR (0x0D), plus LF, and the full-width
 * forms `＝` `＋` `－` `＠` that a Japanese spreadsheet may take for the ASCII ones. A leading `'` is
 * neutralised too, only so that `csvRestoreCell` can undo the neutralising exactly.
 */
const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20']/;

/** A cell holding these is quoted: the separator and quote of RFC 4180, line breaks, and `;` and tab
 * (the separators a spreadsheet in another locale may split on). */
const NEEDS_QUOTES = /[",;\t\r\n]/;

/** Whether a spreadsheet could take this cell for a formula (the test of `csvCell`'s promise). */
export function startsFormula(text: string): boolean {
  return FORMULA_START.test(text);
}

/**
 * One CSV cell (empty for null). A value a spreadsheet would run is prefixed with `'` and quoted, as
 * OWASP recommends (`=1+2` → `"'=1+2"`); any other value is quoted only when RFC 4180 needs it, its
 * quotes doubled. Values starting with `-` or `+` are neutralised too, a negative number or a
 * time-zone offset included: only numbers the exporter formats itself go through `csvInteger`.
 */
export function csvCell(text: string | null | undefined): string {
  if (text === null || text === undefined || text === "") return "";
  if (FORMULA_START.test(text)) return `"'${text.replaceAll('"', '""')}"`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A number the exporter computed itself (a duration in seconds), written as a spreadsheet number:
 * digits with at most a leading minus, which a spreadsheet reads as a number, never as a formula.
 * Anything that is not a safe integer is written as text through `csvCell`.
 */
export function csvInteger(value: number | null | undefined): string {
  if (value === null || value === undefined) return "";
  return Number.isSafeInteger(value) ? String(value) : csvCell(String(value));
}

/** One CSV record: the cells joined by commas, ended by CRLF (RFC 4180). */
export function csvRecord(cells: readonly string[]): string {
  return `${cells.join(",")}\r\n`;
}

/**
 * The value a neutralised cell stood for, for an import that reads back an export (after the CSV
 * parser has removed the quoting): `'=x` → `=x`. A cell `csvCell` did not neutralise is returned as
 * is, so `csvRestoreCell(parse(csvCell(x))) === x` for every x.
 */
export function csvRestoreCell(text: string): string {
  return text.startsWith("'") && FORMULA_START.test(text.slice(1)) ? text.slice(1) : text;
}
