/**
 * Column layout by terminal cells, not UTF-16 length: a Japanese character takes two cells, so
 * padding by `.length` would push every column after it out of line.
 */
import stringWidth from "string-width";

export const cells = (text: string): number => stringWidth(text);

/** Cuts `text` to at most `width` cells, ending in "…" when something was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  if (cells(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const ch of text) {
    const w = cells(ch);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

/** Exactly `width` cells: truncated, then padded with spaces (on the left when `align` is right). */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  const cut = truncate(text, width);
  const pad = " ".repeat(Math.max(0, width - cells(cut)));
  return align === "left" ? cut + pad : pad + cut;
}
