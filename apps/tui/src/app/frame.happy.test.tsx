import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { memoryConfigStore } from "../lib/config.js";
import { cells } from "../lib/text.js";
import { keys, loggedIn, renderApp, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

describe("frame", () => {
  it("switches to Japanese with F2, remembers it, and keeps the key-help line", async () => {
    serveDemo();
    const config = memoryConfigStore();
    const t = await loggedIn({ config });
    await t.press(keys.f2);
    const f = await t.waitFor("ようこそ account.admin さん。");
    expect(f).toContain("1. アクセス履歴");
    expect(f).toContain("3. ユーザ管理");
    expect(f.trimEnd().split("\n").at(-1)).toContain("F2 English");
    expect(config.current.lang).toBe("ja");
    // A new start reads the remembered language.
    const again = await renderApp({ config });
    await again.waitFor("アカウント管理者ログイン");
  });

  it("writes no colour under NO_COLOR, and colour otherwise", async () => {
    serveDemo();
    // SGR foreground colours: ESC [ 30–37, 90–97 or 38;… m.
    const colour = new RegExp(`${String.fromCharCode(27)}\\[(3[0-7]|9[0-7]|38;)`);
    const coloured = await loggedIn();
    expect(coloured.raw()).toMatch(colour);
    const plain = await loggedIn({ noColor: true });
    expect(plain.raw()).not.toMatch(colour);
    expect(plain.frame()).toContain("› 1. Access history");
  });

  it("fits 80×24 with Japanese text aligned by cells, and re-lays out on resize", async () => {
    serveDemo();
    const t = await loggedIn({ config: memoryConfigStore({ lang: "ja" }) });
    await t.press("1");
    const f = await t.waitFor("累計接続時間");
    const lines = f.split("\n");
    expect(lines).toHaveLength(24);
    for (const line of lines) expect(cells(line)).toBeLessThanOrEqual(80);
    // The result column starts at the same cell on the header and on every row, wide characters or not.
    const header = lines.find((l) => l.includes("認証結果") && l.includes("接続開始時刻")) ?? "";
    // Every header fits its column whole: no "接続終…".
    expect(header).toContain("終了時刻");
    expect(header).not.toContain("…");
    const resultAt = cells(header.slice(0, header.indexOf("認証結果")));
    const rows = lines.filter((l) => /\d\d\/\d\d \d\d:\d\d:\d\d/.test(l));
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) {
      const at = row.search(/成功|失敗：|情報：/);
      expect(cells(row.slice(0, at))).toBe(resultAt);
    }
    await t.resize(140, 30);
    const wide = await t.waitFor("接続元アドレス");
    expect(wide.split("\n")).toHaveLength(30);
    expect(wide).toContain("MACアドレス");
    expect(stripVTControlCharacters(wide).split("\n").at(-1)).toContain("F2 English");
  });
});
