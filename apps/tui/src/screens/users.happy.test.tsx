import { describe, expect, it } from "vitest";
import { keys, loggedIn, openMenuItem, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

const openUsers = (options: Parameters<typeof loggedIn>[0] = {}) => openMenuItem(3, ["office.pc"], options);

describe("user management", () => {
  it("searches by memo and shows every field of a user", async () => {
    serveDemo();
    const t = await openUsers({ columns: 120 });
    await t.press("/");
    await t.type("Sales");
    await t.press(keys.enter);
    await t.waitFor("Sales PC");
    expect(t.frame()).not.toContain("office.pc");
    await t.press(keys.enter);
    const f = await t.waitFor("Relay server");
    for (const label of [
      "User name",
      "General user",
      "Terminal-auth type NDL.S usable",
      "Terminal-auth info",
      "IP address restriction",
      "MAC address restriction",
      "Mobile viewer password saving",
      "Memo",
    ]) {
      expect(f).toContain(label);
    }
    expect(f).toMatch(/Terminal-auth info\s+PC\s+Registered/);
    expect(f).toMatch(/Mobile\s+Registered/);
    expect(f).toMatch(/Viewer\s+Terminal-auth type NDL\.S usable\n\s+Mobile\s+\[Allowed\]/);
  });

  it("initialises the mobile slot after the confirmation and shows it unregistered (was initialised)", async () => {
    const state = serveDemo();
    const t = await openUsers({ rows: 30 });
    await t.press("/");
    await t.type("user1");
    await t.press(keys.enter);
    await t.waitFor("Sales PC");
    await t.press("e");
    await t.waitFor("Edit user1");
    // Down to the mobile slot's tick.
    for (let i = 0; i < 8; i++) await t.press(keys.down);
    expect(t.frame()).toMatch(/› Mobile: Registered\s+\[ \] Initialise/);
    await t.press(keys.space);
    expect(t.frame()).toMatch(/› Mobile: Registered \(will be initialised\)\s+\[x\] Initialise/);
    await t.press(keys.enter);
    await t.waitFor("The changes will be committed to the system. Proceed?");
    await t.press("y");
    const f = await t.waitFor("User was successfully updated.");
    expect(f).toMatch(/Mobile\s+Unregistered \(was initialised\)/);
    expect(f).toMatch(/PC\s+Registered/);
    expect(state.users.get("user1")?.slots.mobile.state).toBe("unregistered-initialised");
    expect(state.requests.at(-1)?.body).toEqual({ initialise: { mobile: true }, version: 1 });
  });

  it("cancelling the confirmation changes nothing", async () => {
    const state = serveDemo();
    const t = await openUsers();
    await t.press("/");
    await t.type("user1");
    await t.press(keys.enter, "e");
    await t.waitFor("Edit user1");
    for (let i = 0; i < 7; i++) await t.press(keys.down);
    await t.press(keys.space, keys.enter);
    await t.waitFor("Proceed?");
    await t.press("n");
    await t.waitFor("Edit user1");
    expect(state.users.get("user1")?.slots.pc.state).toBe("registered");
    expect(state.requests).toHaveLength(1); // the login only
  });

  it("applies one change to many users at once (batch management)", async () => {
    const state = serveDemo();
    const t = await openUsers({ rows: 40 });
    await t.press("/");
    await t.type("mobile.");
    await t.press(keys.enter);
    await t.waitFor("mobile.android");
    await t.press(keys.space, keys.down, keys.space);
    await t.waitFor("2 selected");
    await t.press("b");
    await t.waitFor("Batch management");
    // Down to "May save the login password" and set it to Yes.
    for (let i = 0; i < 5; i++) await t.press(keys.down);
    await t.press(keys.space);
    await t.press(keys.enter);
    await t.waitFor("Proceed?");
    await t.press("y");
    await t.waitFor("2 users were successfully updated.");
    const body = state.requests.at(-1)?.body as { users: { userName: string; passwordSaving: unknown }[] };
    expect(body.users.map((u) => u.userName)).toEqual(["mobile.android", "mobile.ios"]);
    expect(body.users[0]?.passwordSaving).toEqual({ mayStoreLoginPassword: true });
  });

  it("pages through more users than one page holds (keyset), keeping ticks across pages", async () => {
    const state = serveDemo({ extraUsers: 250 });
    const total = state.users.size;
    expect(total).toBeGreaterThan(250);
    const t = await loggedIn({ rows: 30 });
    await t.press("3");
    await t.waitFor("bulk.0001");
    expect(t.frame()).toContain("100 users shown · more below");
    await t.press(keys.space);
    // Page down to the end: each page of the API is fetched as the selection nears it.
    for (let i = 0; i < 30 && !/› \[ \] (user1|usb\.ndl) /.test(t.frame()); i++) {
      await t.press(keys.pageDown);
      await t.waitUntil(() => true);
    }
    await t.waitFor(`${total} users`);
    for (let i = 0; i < 5 && !/› \[ \] user1 /.test(t.frame()); i++) await t.press(keys.down);
    const f = await t.waitFor(/› \[ \] user1 /);
    expect(f).not.toContain("more below");
    await t.press(keys.space, "b");
    const b = await t.waitFor("Batch management");
    expect(b).toContain("2 selected: bulk.0001, user1");
  });

  it("starts paging over when the search changes", async () => {
    serveDemo({ extraUsers: 250 });
    const t = await loggedIn({ rows: 30 });
    await t.press("3");
    await t.waitFor("100 users shown · more below");
    await t.press("/");
    await t.type("bulk.02");
    await t.press(keys.enter);
    const f = await t.waitFor("51 users");
    expect(f).toMatch(/› \[ \] bulk\.0200/);
    expect(f).not.toContain("bulk.0199");
  });
});
