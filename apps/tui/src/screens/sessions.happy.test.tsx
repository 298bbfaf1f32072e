import { describe, expect, it } from "vitest";
import { keys, loggedIn, openMenuItem, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

const openSessions = (options: Parameters<typeof loggedIn>[0] = {}) =>
  openMenuItem(6, ["Viewers and clients connected now", "office.pc"], { columns: 110, ...options });

describe("active sessions", () => {
  it("lists who is connected now", async () => {
    serveDemo();
    const t = await openSessions();
    const f = t.frame();
    expect(f).toMatch(/› office\.pc\s+Client\s+198\.51\.100\.10\s+11\/16 08:00:00\s+11\/16 09:59:30\s+-/);
    expect(f).toMatch(/user1\s+Viewer\s+203\.0\.113\.25\s+11\/16 09:30:12\s+11\/16 09:59:42\s+office\.pc/);
  });

  it("disconnects the selected session only after the confirmation", async () => {
    const state = serveDemo();
    const t = await openSessions();
    await t.press(keys.down, "d");
    let f = await t.waitFor("The changes will be committed to the system. Proceed?");
    expect(f).toContain("Disconnect user1 (Viewer)");
    await t.press("n");
    await t.waitFor(/› user1\s+Viewer/);
    expect(state.activeSessions.every((s) => s.disconnectRequestedAt === null)).toBe(true);
    await t.press("d");
    await t.waitFor("Proceed?");
    await t.press("y");
    f = await t.waitFor("Disconnect of user1 (Viewer) requested");
    expect(f).toMatch(/› user1\s+Viewer.*disconnecting…/);
    const user1 = state.activeSessions.find((s) => s.userName === "user1");
    expect(user1?.disconnectRequestedAt).not.toBeNull();
    expect(state.activeSessions.find((s) => s.userName === "office.pc")?.disconnectRequestedAt).toBeNull();
    expect(state.requests.at(-1)).toMatchObject({ method: "DELETE", path: `/active-sessions/${user1?.id}` });
  });

  it("says so when nobody is connected", async () => {
    const state = serveDemo();
    state.activeSessions = [];
    const t = await loggedIn();
    await t.press("6");
    await t.waitFor("No viewer or client is connected.");
  });
});
