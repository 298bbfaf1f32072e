import { describe, expect, it } from "vitest";
import { keys, type loggedIn, openMenuItem, serveDemo, useMswServer } from "../test-utils/render.js";

useMswServer();

const openGrouping = (options: Parameters<typeof loggedIn>[0] = {}) =>
  openMenuItem(4, ["Viewer → clients (1:N)", "office.pc"], options);

describe("grouping", () => {
  it("shows the links from the viewer end (1:N) and from the client end (N:1)", async () => {
    serveDemo();
    const t = await openGrouping();
    const byViewer = t.frame();
    expect(byViewer).toMatch(/Viewer\s+Client/);
    expect(byViewer).toMatch(/› usb\.ndl\s+→ office\.pc/);
    expect(byViewer).toMatch(/user1\s+→ office\.pc/);
    await t.press("v");
    const byClient = await t.waitFor("Client → viewers (N:1)");
    expect(byClient).toMatch(/Client\s+Viewer/);
    // One client, two viewers: the client's name heads its block once.
    expect(byClient).toMatch(/› office\.pc\s+→ usb\.ndl\n\s+→ user1/);
  });

  it("adds a link, which the API then holds", async () => {
    const state = serveDemo();
    const t = await openGrouping();
    await t.press("a");
    await t.waitFor("Add link");
    await t.type("user1");
    await t.press(keys.tab);
    await t.type("mac.limited");
    await t.press(keys.enter);
    const f = await t.waitFor("The link was added.");
    expect(f).toMatch(/user1\s+→ mac\.limited/);
    expect(state.links.map((l) => `${l.viewer}>${l.client}`)).toContain("user1>mac.limited");
    expect(state.requests.at(-1)).toMatchObject({
      path: "/groups/links",
      body: { links: [{ viewer: "user1", client: "mac.limited" }] },
    });
  });

  it("names an unknown user instead of adding the link", async () => {
    const state = serveDemo();
    const t = await openGrouping();
    await t.press("a");
    await t.type("user1");
    await t.press(keys.tab);
    await t.type("no.such.pc");
    await t.press(keys.enter);
    await t.waitFor("Not found.");
    expect(state.links).toHaveLength(2);
  });

  it("removes the selected link only after the confirmation", async () => {
    const state = serveDemo();
    const t = await openGrouping();
    // The second line is user1 → office.pc.
    await t.press(keys.down, "d");
    let f = await t.waitFor("The changes will be committed to the system. Proceed?");
    expect(f).toContain("Remove link: user1 → office.pc");
    // Cancel first: nothing changes.
    await t.press("n");
    await t.waitFor(/user1\s+→ office\.pc/);
    expect(state.links).toHaveLength(2);
    await t.press("d");
    await t.waitFor("Proceed?");
    await t.press("y");
    f = await t.waitFor("The link was removed.");
    expect(f).not.toMatch(/user1\s+→ office\.pc/);
    expect(state.links.map((l) => `${l.viewer}>${l.client}`)).toEqual(["usb.ndl>office.pc"]);
  });
});
