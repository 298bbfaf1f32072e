import { describe, expect, it } from "vitest";
import { keys, loggedIn, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

async function openHistory(options: Parameters<typeof loggedIn>[0] = {}) {
  const t = await loggedIn(options);
  await t.press("1");
  await t.waitFor("Cumulative connection time");
  return t;
}

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

  it("exports the current filter to a CSV file", async () => {
    serveDemo();
    const { mkdtempSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const path = join(mkdtempSync(join(tmpdir(), "tui-csv-")), "history.csv");
    const t = await openHistory();
    await t.press("x");
    await t.waitFor("./access-history.csv");
    await t.press(...Array(20).fill(keys.backspace));
    await t.press(path);
    await t.press(keys.enter);
    await t.waitFor("Saved 10 rows");
    const csv = readFileSync(path, "utf8");
    expect(csv).toContain("Failure: Unable to establish the connection");
    expect(csv).toContain("(190500)");
  });
});
