import { afterEach, describe, expect, it, vi } from "vitest";
import { keys, loggedIn, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

/** React's warning when a component sets another's state while rendering. */
function renderTimeUpdates(spy: { mock: { calls: unknown[][] } }): string[] {
  return spy.mock.calls.map((c) => c.map(String).join(" ")).filter((s: string) => /while rendering/.test(s));
}

describe("session loss", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("returns to login saying the session expired when the history's reload finds the token gone, never during render", async () => {
    const state = serveDemo();
    const errors = vi.spyOn(console, "error");
    const t = await loggedIn();
    await t.press("1");
    await t.waitFor("Cumulative connection time");
    state.tokens.clear();
    await t.press("r");
    const f = await t.waitFor("The session has expired. Log in again.");
    expect(f).toContain("Account manager login");
    expect(renderTimeUpdates(errors)).toEqual([]);
  });

  it("returns to login from a screen's own request (user search) when the token is gone", async () => {
    const state = serveDemo();
    const t = await loggedIn();
    await t.press("3");
    await t.waitFor("19 users");
    state.tokens.clear();
    await t.press("/");
    await t.type("user2");
    await t.press(keys.enter);
    const f = await t.waitFor("The session has expired. Log in again.");
    expect(f).toContain("Account manager login");
  });
});
