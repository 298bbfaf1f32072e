import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keys, type loggedIn, openMenuItem, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

const openHistory = (options: Parameters<typeof loggedIn>[0] = {}) =>
  openMenuItem(1, ["Cumulative connection time"], options);

describe("access history", () => {
  it("shows per-user blocks with the cumulative connection time and the seed table's rows", async () => {
    serveDemo();
    const t = await openHistory({ columns: 140, rows: 40 });
    const f = t.frame();
    expect(f).toContain("Type: Viewer and client · Authentication result: All connections");
    // user1's seed table: 12 min 23 s + 21 min 13 s = 33 min 36 s.
    expect(f).toMatch(/User name: user1\s+Cumulative connection time: 33 min 36 s/);
    expect(f).toMatch(
      /11\/15 10:17:00\s+11\/15 10:29:23\s+12 min 23 s\s+203\.0\.113\.25\s+00:1b:44:11:3a:b7\s+Success/,
    );
    expect(f).toMatch(/11\/15 10:16:55\s+11\/15 10:16:55\s+-\s+.*Failure: The password sent from the viewer/);
  });

  it("opens a failure's details and goes to the user's edit screen with the slot's initialise ticked", async () => {
    serveDemo();
    const t = await openHistory({ rows: 40 });
    // Filter to user1 so the 190500 row is the first row.
    await t.press("f", keys.tab, keys.tab);
    await t.type("user1");
    await t.press(keys.enter);
    await t.waitUntil((f) => f.includes("User name: user1 ") && !f.includes("plus.only"));
    await t.press(keys.enter);
    const d = await t.waitFor("Explanation");
    expect(d).toMatch(/Code\s+190500/);
    const flat = d.replace(/\s+/g, " ");
    expect(flat).toContain("does not match the info of the connecting device");
    expect(flat).toContain("initialise the terminal-auth info of the slot");
    expect(d).toContain("g: Initialise the terminal-auth slot (PC) · user1");
    await t.press("g");
    const e = await t.waitFor("Edit user1");
    expect(e).toMatch(/› PC: Registered \(will be initialised\)\s+\[x\] Initialise/);
  });

  it("pages forward and back with the keyset cursor, instantly from the cache", async () => {
    serveDemo({ extraHistoryRows: 450 });
    const t = await openHistory();
    expect(t.frame()).toContain("Page 1 · more: n");
    await t.press("n");
    await t.waitFor("Page 2");
    await t.press("n", "n", "n");
    const last = await t.waitFor("Page 5 · last page");
    expect(last).toContain("load.user");
    await t.press("p");
    // Page 4 was seen: no loading state in between.
    expect(t.frame()).toContain("Page 4 · more: n");
  });

  it("exports the current filter to a CSV file: English, UTF-8 with BOM by default", async () => {
    const state = serveDemo();
    const path = join(mkdtempSync(join(tmpdir(), "tui-csv-")), "history.csv");
    const t = await openHistory();
    await t.press("x");
    await t.waitFor("./access-history.csv");
    await t.press(...Array(20).fill(keys.backspace));
    await t.press(path);
    await t.press(keys.enter);
    await t.waitFor("Saved 10 rows");
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString("utf8");
    expect(csv).toContain("User name,Type,Start");
    expect(csv).toContain("Failure: Unable to establish the connection");
    expect(csv).toContain("(190500)");
    expect(state.requests.at(-1)).toMatchObject({
      method: "GET",
      path: "/history/csv",
      body: { lang: "en", encoding: "utf-8", result: "all" },
    });
    expect(state.requests.at(-1)?.body).not.toHaveProperty("extended");
  });

  it("exports in Japanese, Shift_JIS, with the target client column, writing the bytes as sent", async () => {
    const state = serveDemo();
    const path = join(mkdtempSync(join(tmpdir(), "tui-csv-")), "history-sjis.csv");
    const t = await openHistory({ rows: 30 });
    await t.press("x");
    await t.waitFor("Export CSV");
    await t.press(...Array(20).fill(keys.backspace));
    await t.press(path);
    // Language → Japanese, encoding → Shift_JIS, extended display → target client.
    await t.press(keys.tab, keys.right, keys.tab, keys.right, keys.tab, keys.right);
    const form = t.frame();
    expect(form).toMatch(/Language\s+English\s+\[Japanese\]/);
    expect(form).toMatch(/Encoding\s+UTF-8 \(with BOM\)\s+\[Shift_JIS\]/);
    expect(form).toMatch(/› Extended display\s+None\s+\[Target client \(viewer rows\)\]/);
    await t.press(keys.enter);
    await t.waitFor(/Saved \d+ rows/);
    expect(state.requests.at(-1)?.body).toMatchObject({
      lang: "ja",
      encoding: "shift_jis",
      extended: "target",
    });
    const bytes = readFileSync(path);
    // No BOM in Shift_JIS; the Japanese header round-trips only if the bytes were written untouched.
    expect(bytes[0]).not.toBe(0xef);
    const csv = new TextDecoder("shift_jis").decode(bytes);
    expect(csv.split("\r\n")[0]).toMatch(/^ユーザ名,種別,.*,認証結果,接続先クライアント$/);
    expect(csv).toContain("失敗：");
    // Viewer rows only, each with its target client.
    expect(csv).toMatch(/user1,ビューア,[^\r\n]*,成功,user1\r\n/);
    expect(csv).not.toContain("クライアント,");
    expect(t.frame()).toMatch(/Saved 8 rows/);
  });

  it("offers only the extended display that matches a type filter", async () => {
    serveDemo();
    const t = await openHistory();
    // Type: client only.
    await t.press("f", keys.left);
    await t.waitFor(/\[Client only\]/);
    await t.press(keys.enter);
    await t.waitFor("Type: Client only");
    await t.press("x", keys.tab, keys.tab, keys.tab);
    const f = await t.waitFor("› Extended display");
    expect(f).toContain("Source viewer (client rows)");
    expect(f).not.toContain("Target client (viewer rows)");
  });

  it("shows the target client of viewer rows as a column on a wide terminal and in the details always", async () => {
    serveDemo();
    const t = await openHistory({ columns: 120, rows: 40 });
    // Extended display is the last filter field; choosing "target" turns the type to viewer rows.
    await t.press("f", keys.up, keys.right);
    const draft = await t.waitFor(/\[Target client \(viewer rows\)\]/);
    expect(draft).toMatch(/Type\s+\[Viewer only\]/);
    await t.press(keys.enter);
    const f = await t.waitFor("Extended display: Target client (viewer rows)");
    expect(f).toMatch(/Start\s+End\s+Duration\s+Source address\s+Target client\s+Result/);
    expect(f).toMatch(/11\/15 10:17:00\s+11\/15 10:29:23\s+12 min 23 s\s+203\.0\.113\.25\s+user1\s+Success/);
    expect(f).not.toContain("office.pc");
    // A failure reached no client.
    expect(f).toMatch(/11\/16 09:05:12\s+11\/16 09:05:12\s+-\s+203\.0\.113\.25\s+-\s+Failure/);
    // At 80 columns the column gives way; the details still name the target client.
    await t.resize(80, 30);
    const narrow = await t.waitFor(/Start\s+End\s+Duration\s+Result/);
    expect(narrow).not.toContain("Target client");
    for (let i = 0; i < 20 && !/› 11\/15 10:17:00/.test(t.frame()); i++) await t.press(keys.down);
    await t.press(keys.enter);
    const d = await t.waitFor("Details: user1");
    expect(d).toMatch(/Target client\s+user1/);
  });
});
