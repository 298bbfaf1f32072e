import { describe, expect, it } from "vitest";
import { keys, openMenuItem, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

const openSecurity = () => openMenuItem(5, ["Admin idle timeout (s)"], { columns: 100 });

/** Empties the focused field. */
const clear = (n: number) => Array(n).fill(keys.backspace) as string[];

describe("security", () => {
  it("shows the contract's settings, and saves an edit after the confirmation", async () => {
    const state = serveDemo();
    const t = await openSecurity();
    const f = t.frame();
    expect(f).toMatch(/Lockout after failures\s+5/);
    expect(f).toMatch(/Lockout duration \(s\)\s+900/);
    expect(f).toMatch(/Admin idle timeout \(s\)\s+1800/);
    // The allow-list (own address too, or the admin could not log in again), then the threshold.
    await t.type("203.0.113.0/24, 198.51.100.7");
    await t.press(keys.tab, ...clear(1));
    await t.type("3");
    await t.press(keys.enter);
    await t.waitFor("The changes will be committed to the system. Proceed?");
    expect(state.security.lockout.threshold).toBe(5);
    await t.press("y");
    await t.waitFor("The security settings were updated.");
    expect(state.security).toEqual({
      adminAllowCidrs: ["203.0.113.0/24", "198.51.100.7"],
      lockout: { threshold: 3, durationSeconds: 900 },
      adminIdleTimeoutSeconds: 1800,
    });
  });

  it("cancelling the confirmation changes nothing", async () => {
    const state = serveDemo();
    const t = await openSecurity();
    await t.press(keys.tab, keys.tab, ...clear(3));
    await t.type("120");
    await t.press(keys.enter);
    await t.waitFor("Proceed?");
    await t.press("n");
    await t.waitFor(/› Lockout duration \(s\)\s+120/);
    expect(state.security.lockout.durationSeconds).toBe(900);
    expect(state.requests.filter((r) => r.path === "/security")).toHaveLength(0);
  });

  it("names the field the API refused under it, and keeps what the admin typed", async () => {
    const state = serveDemo();
    const t = await openSecurity();
    await t.press(keys.up, ...clear(4));
    await t.type("30");
    await t.press(keys.enter);
    await t.waitFor("Proceed?");
    await t.press("y");
    const f = await t.waitFor("Not saved: correct Admin idle timeout (s).");
    expect(f).toMatch(/› Admin idle timeout \(s\)\s+30.*\n\s+Admin idle timeout \(s\): at least 60/);
    expect(state.security.adminIdleTimeoutSeconds).toBe(1800);
    // Correcting it clears the error and saves.
    await t.type("0");
    expect(t.frame()).not.toContain(": at least 60");
    await t.press(keys.enter);
    await t.waitFor("Proceed?");
    await t.press("y");
    await t.waitFor("The security settings were updated.");
    expect(state.security.adminIdleTimeoutSeconds).toBe(300);
  });

  it("names a bad allow-list entry", async () => {
    serveDemo();
    const t = await openSecurity();
    await t.type("10.0.0.0/8, not-an-address");
    await t.press(keys.enter, "y");
    const f = await t.waitFor("Not saved: correct Admin login allow-list.");
    expect(f).toMatch(/Admin login allow-list: /);
  });
});
