import { describe, expect, it } from "vitest";
import { keys, loggedIn, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

describe("troubleshoot", () => {
  it("finds the reported attempt, explains it, and initialises the slot with one key and a confirmation", async () => {
    const state = serveDemo();
    const t = await loggedIn({ rows: 30, columns: 120 });
    await t.press("2");
    await t.waitFor("Enter what the person reported");
    await t.type("user1");
    await t.press(keys.tab, keys.tab);
    await t.type("11/16 09:00");
    await t.press(keys.enter);
    const f = await t.waitFor("attempts within ±30 min");
    expect(f).toContain("1 attempts within ±30 min");
    expect(f).toMatch(/› 11\/16 09:05:12\s+Failure: Unable to establish/);
    expect(f).toMatch(/Code: 190500/);
    expect(f).toContain("g: Initialise the terminal-auth slot (PC) · user1");
    await t.press("g");
    await t.waitFor("The changes will be committed to the system. Proceed?");
    await t.press("y");
    const done = await t.waitFor("User was successfully updated.");
    expect(done).toContain("PC Unregistered (was initialised)");
    expect(state.users.get("user1")?.slots.pc.state).toBe("unregistered-initialised");
    expect(state.users.get("user1")?.slots.mobile.state).toBe("registered");
  });

  it("says no attempt was recorded when nothing matches (wrong server or user name)", async () => {
    serveDemo();
    const t = await loggedIn();
    await t.press("2");
    await t.waitFor("Enter what the person reported");
    await t.type("no.such.user");
    await t.press(keys.tab, keys.tab);
    await t.type("today 10:00");
    await t.press(keys.enter);
    const f = await t.waitFor("No attempt was recorded");
    expect(f.replace(/\s+/g, " ")).toContain("the server or user name they typed is wrong");
  });

  it("opens the edit screen for a fix that needs input (allow an address)", async () => {
    serveDemo();
    const t = await loggedIn({ rows: 30 });
    await t.press("2");
    await t.waitFor("Enter what the person reported");
    await t.type("ip.limited");
    await t.press(keys.tab, keys.tab);
    await t.type("11/16 08:45");
    await t.press(keys.enter);
    await t.waitFor("Code: 40200");
    await t.press("e");
    const e = await t.waitFor("Edit ip.limited");
    // The failing source address is appended to the viewer's allow-list, ready to save.
    expect(e).toMatch(/› Viewer\s+….*, 192\.0\.2\.77/);
  });
});
