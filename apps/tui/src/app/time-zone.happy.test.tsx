import { describe, expect, it } from "vitest";
import { loggedIn, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

describe("time zone", () => {
  it("shows the history in the contract's zone when none is fixed, whatever the terminal's", async () => {
    const state = serveDemo();
    state.contract.timeZone = "America/New_York";
    const t = await loggedIn({ columns: 140, rows: 40, timeZone: null });
    await t.press("1");
    const f = await t.waitFor("Cumulative connection time");
    // The seed table's 11/15 10:16:55 in Tokyo is 11/14 20:16:55 in New York.
    expect(f).toMatch(/11\/14 20:16:55\s+11\/14 20:16:55/);
    expect(f).not.toContain("10:16:55");
  });

  it("keeps a zone fixed by a flag", async () => {
    const state = serveDemo();
    state.contract.timeZone = "America/New_York";
    const t = await loggedIn({ columns: 140, rows: 40, timeZone: "Asia/Tokyo" });
    await t.press("1");
    const f = await t.waitFor("Cumulative connection time");
    expect(f).toMatch(/11\/15 10:16:55\s+11\/15 10:16:55/);
  });
});
