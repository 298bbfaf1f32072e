/** Writes a downloaded access-history CSV to the admin's disk, the bytes exactly as the API sent them. */
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";

export const DEFAULT_CSV_PATH = "./access-history.csv";

/**
 * Writes `bytes` to `path` (relative to the working directory; the default when empty) and answers
 * the absolute path and the number of data rows (line feeds less the header's). Throws what the
 * file system throws.
 */
export async function writeCsvFile(path: string, bytes: Uint8Array): Promise<{ path: string; rows: number }> {
  const absolute = resolve(path || DEFAULT_CSV_PATH);
  // The bytes as the API encoded them: decoding and re-encoding would lose Shift_JIS and the BOM.
  await writeFile(absolute, bytes);
  let lineFeeds = 0;
  for (const byte of bytes) if (byte === 0x0a) lineFeeds++;
  return { path: absolute, rows: Math.max(0, lineFeeds - 1) };
}
