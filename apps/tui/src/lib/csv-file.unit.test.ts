import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeCsvFile } from "./csv-file.js";

describe("writing the history CSV", () => {
  it("writes the bytes untouched and counts the data rows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tui-csv-file-"));
    // A BOM and a Shift_JIS byte pair: both would be lost by decoding and re-encoding.
    const bytes = new Uint8Array([
      0xef, 0xbb, 0xbf, 0x61, 0x0d, 0x0a, 0x83, 0x8e, 0x0d, 0x0a, 0x62, 0x0d, 0x0a,
    ]);
    const saved = await writeCsvFile(join(dir, "h.csv"), bytes);
    expect(saved).toEqual({ path: join(dir, "h.csv"), rows: 2 });
    expect([...readFileSync(saved.path)]).toEqual([...bytes]);
  });

  it("counts no rows for an empty file and fails where the folder doesn't exist", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tui-csv-file-"));
    expect((await writeCsvFile(join(dir, "empty.csv"), new Uint8Array())).rows).toBe(0);
    await expect(writeCsvFile(join(dir, "missing", "h.csv"), new Uint8Array([0x0a]))).rejects.toThrow(
      /ENOENT/,
    );
  });
});
