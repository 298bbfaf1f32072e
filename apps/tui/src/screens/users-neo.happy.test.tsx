/**
 * User management on a neo contract: the device limit and registration in the details, the edit
 * screen and batch management, sent as `neo` in the PATCH; a legacy contract shows and sends neither.
 */
import { describe, expect, it } from "vitest";
import { keys, loggedIn, openMenuItem, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

async function openUser(userName: string, options: Parameters<typeof loggedIn>[0] = {}) {
  const t = await openMenuItem(3, [options.contract === "neo" ? "neo.mobile" : "office.pc"], options);
  await t.press("/");
  await t.type(userName);
  await t.press(keys.enter);
  await t.waitFor(new RegExp(`› \\[ \\] ${userName.replaceAll(".", "\\.")} `));
  return t;
}

/** Down to the neo device limit line of neo.user1's edit form (after the PC slot's tick). */
async function toDeviceLimit(t: Awaited<ReturnType<typeof openUser>>) {
  for (let i = 0; i < 8; i++) await t.press(keys.down);
  expect(t.frame()).toMatch(/› Device limit\s+2▏/);
}

describe("user management on a neo contract", () => {
  it("shows the device limit, registration and the devices registered per slot", async () => {
    serveDemo({ contract: "neo" });
    const t = await openUser("neo.user1", { contract: "neo" });
    await t.press(keys.enter);
    const f = await t.waitFor("Relay server");
    expect(f).toMatch(/Relay server\s+neo1/);
    expect(f).toMatch(/Device limit\s+2\n/);
    expect(f).toMatch(/Registration of new devices\s+open/);
    expect(f).toMatch(/Terminal-auth info\s+PC\s+Registered · 1 device\n/);
    // Everything still fits 80×24 down to the memo.
    expect(f).toMatch(/Memo\s+-/);

    await t.press(keys.escape, "/");
    for (let i = 0; i < "neo.user1".length; i++) await t.press(keys.backspace);
    await t.type("neo.mobile");
    await t.press(keys.enter);
    await t.waitFor(/› \[ \] neo\.mobile /);
    await t.press(keys.enter);
    const g = await t.waitFor("Device limit");
    expect(g).toMatch(/Device limit\s+contract default/);
    expect(g).toMatch(/Mobile\s+Unregistered · 0 devices/);
  });

  it("shows no neo settings on a legacy contract, in the details or the edit screen", async () => {
    serveDemo();
    const t = await openUser("user1", { rows: 40 });
    await t.press(keys.enter);
    const f = await t.waitFor("Relay server");
    expect(f).not.toContain("Device limit");
    expect(f).not.toContain("Registration of new devices");
    expect(f).not.toMatch(/\d devices?/);
    await t.press("e");
    const e = await t.waitFor("Edit user1");
    expect(e).toContain("Memo");
    expect(e).not.toContain("Device limit");
    expect(e).not.toContain("Registration of new devices");
  });

  it("changes the limit and closes registration: sent as neo in the PATCH", async () => {
    const state = serveDemo({ contract: "neo" });
    const t = await openUser("neo.user1", { contract: "neo" });
    await t.press("e");
    await t.waitFor("Edit neo.user1");
    await toDeviceLimit(t);
    await t.press(keys.backspace);
    await t.type("5");
    await t.press(keys.down);
    expect(t.frame()).toMatch(/› Registration of new devices\s+\[x\] open/);
    await t.press(keys.space);
    expect(t.frame()).toMatch(/› Registration of new devices\s+\[ \] closed/);
    await t.press(keys.enter);
    const c = await t.waitFor("Proceed?");
    expect(c).toContain("Device limit: 5");
    expect(c).toContain("Registration of new devices: [ ] closed");
    await t.press("y");
    const f = await t.waitFor("User was successfully updated.");
    expect(state.requests.at(-1)?.body).toEqual({
      neo: { deviceLimit: 5, registrationOpen: false },
      version: 1,
    });
    expect(state.users.get("neo.user1")?.neo).toEqual({ deviceLimit: 5, registrationOpen: false });
    expect(f).toMatch(/Device limit\s+5\n/);
    expect(f).toMatch(/Registration of new devices\s+closed/);
  });

  it("an empty limit goes back to the contract's (null)", async () => {
    const state = serveDemo({ contract: "neo" });
    const t = await openUser("neo.user1", { contract: "neo" });
    await t.press("e");
    await t.waitFor("Edit neo.user1");
    await toDeviceLimit(t);
    await t.press(keys.backspace);
    expect(t.frame()).toMatch(/› Device limit\s+contract default/);
    await t.press(keys.enter);
    await t.waitFor("Proceed?");
    await t.press("y");
    const f = await t.waitFor("User was successfully updated.");
    expect(state.requests.at(-1)?.body).toEqual({ neo: { deviceLimit: null }, version: 1 });
    expect(f).toMatch(/Device limit\s+contract default/);
  });

  it.each(["0", "101", "2.5"])("refuses a limit of %s naming the field, and sends nothing", async (typed) => {
    const state = serveDemo({ contract: "neo" });
    const t = await openUser("neo.user1", { contract: "neo" });
    await t.press("e");
    await t.waitFor("Edit neo.user1");
    await toDeviceLimit(t);
    await t.press(keys.backspace);
    await t.type(typed);
    // Move away, so the refusal has to bring the focus back.
    await t.press(keys.down);
    await t.press(keys.enter);
    const f = await t.waitFor("Device limit: a whole number from 1 to 100");
    expect(f).not.toContain("Proceed?");
    expect(f).toMatch(/› Device limit/);
    expect(state.requests).toHaveLength(1); // the login only
    expect(state.users.get("neo.user1")?.neo.deviceLimit).toBe(2);
  });

  it("batch management sets the limit and registration for every selected user", async () => {
    const state = serveDemo({ contract: "neo" });
    const t = await loggedIn({ contract: "neo", rows: 30 });
    await t.press("3");
    await t.waitFor("neo.user1");
    await t.press(keys.space, keys.down, keys.space);
    await t.waitFor("2 selected");
    await t.press("b");
    const b = await t.waitFor("Batch management");
    expect(b).toMatch(/Device limit\s+\(leave as is\)/);
    expect(b).toMatch(/Registration of new devices\s+\(leave as is\)/);
    // Enter with nothing set sends nothing.
    await t.press(keys.enter);
    await t.waitFor("Nothing was changed.");
    // Down to the device limit; an out-of-range number is refused naming the field.
    await t.press(keys.down, keys.down);
    await t.type("0");
    await t.press(keys.enter);
    await t.waitFor("Device limit: a whole number from 1 to 100");
    await t.press(keys.backspace);
    await t.type("3");
    await t.press(keys.down, keys.space, keys.space);
    expect(t.frame()).toMatch(/› Registration of new devices\s+closed/);
    await t.press(keys.enter);
    const c = await t.waitFor("Proceed?");
    expect(c).toContain("Device limit: 3");
    await t.press("y");
    await t.waitFor("2 users were successfully updated.");
    const body = state.requests.at(-1)?.body as { users: { userName: string; neo?: unknown }[] };
    expect(body.users.map((u) => [u.userName, u.neo])).toEqual([
      ["neo.mobile", { deviceLimit: 3, registrationOpen: false }],
      ["neo.user1", { deviceLimit: 3, registrationOpen: false }],
    ]);
  });

  it("batch management offers the contract default as a limit", async () => {
    const state = serveDemo({ contract: "neo" });
    const t = await loggedIn({ contract: "neo", rows: 30 });
    await t.press("3");
    await t.waitFor("neo.user1");
    await t.press(keys.down, keys.space, "b");
    await t.waitFor("Batch management");
    await t.press(keys.down, keys.down, keys.space);
    expect(t.frame()).toMatch(/› Device limit\s+contract default/);
    await t.press(keys.enter);
    await t.waitFor("Proceed?");
    await t.press("y");
    await t.waitFor("1 users were successfully updated.");
    expect(state.requests.at(-1)?.body).toEqual({
      users: [{ userName: "neo.user1", version: 1, neo: { deviceLimit: null } }],
    });
  });

  it("batch management on a legacy contract neither shows nor sends neo settings", async () => {
    serveDemo();
    const t = await loggedIn({ rows: 40 });
    await t.press("3");
    await t.waitFor("office.pc");
    await t.press(keys.space, "b");
    const b = await t.waitFor("Batch management");
    expect(b).not.toContain("Device limit");
    expect(b).not.toContain("Registration of new devices");
  });
});

describe("the msw stand-in, like the API", () => {
  it("refuses neo on a legacy contract with a 400 on field neo", async () => {
    const state = serveDemo();
    const { MSW_ADMIN_API } = await import("@tsunagi/fixtures/msw");
    const login = await fetch(`${MSW_ADMIN_API}/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ server: "asp1", login: "account.admin", password: "demo-temp-1234" }),
    });
    const { token } = (await login.json()) as { token: string };
    const res = await fetch(`${MSW_ADMIN_API}/users/user1`, {
      method: "PATCH",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ neo: { deviceLimit: 2 }, version: 1 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { field: string } }).error.field).toBe("neo");
    expect(state.users.get("user1")?.version).toBe(1);
  });
});
