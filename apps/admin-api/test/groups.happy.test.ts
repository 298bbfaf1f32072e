/** Grouping: links between viewers and clients listed both ways, added, removed, exported and imported as CSV. */
import { describe, expect, it } from "vitest";
import { call, errorOf, expectStatus, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

describe("grouping", () => {
  it("lists links both ways, adds and removes them, exports and imports CSV", async () => {
    const list = await call(h.app, "GET", "/groups", { token: h.token });
    expectStatus(list, 200);
    expect(list.json.byClient).toEqual([{ client: "office.pc", viewers: ["usb.ndl", "user1"] }]);
    expect(list.json.byViewer).toEqual([
      { viewer: "usb.ndl", clients: ["office.pc"] },
      { viewer: "user1", clients: ["office.pc"] },
    ]);
    const added = await call(h.app, "POST", "/groups/links", {
      token: h.token,
      body: {
        links: [
          { viewer: "user1", client: "term.ex" },
          { viewer: "user1", client: "office.pc" },
        ],
      },
    });
    expect(added.json).toEqual({ added: 1, removed: 0 });
    const self = await call(h.app, "POST", "/groups/links", {
      token: h.token,
      body: { links: [{ viewer: "user1", client: "user1" }] },
    });
    expect(errorOf(self).field).toBe("links[0].client");

    const csv = await call(h.app, "GET", "/groups/csv", { token: h.token });
    expect(csv.text.split("\r\n")).toEqual([
      "viewer,client",
      "usb.ndl,office.pc",
      "user1,office.pc",
      "user1,term.ex",
      "",
    ]);

    const bad = await call(h.app, "POST", "/groups/csv?mode=add", {
      token: h.token,
      raw: "viewer,client\nuser1,term.xdl\nuser1,nobody\n",
      headers: { "content-type": "text/csv" },
    });
    expectStatus(bad, 400);
    expect(errorOf(bad).field).toBe("line 3");
    const unchanged = await call(h.app, "GET", "/groups", { token: h.token });
    expectStatus(unchanged, 200);
    expect(unchanged.json.links).toHaveLength(3); // nothing added

    const imported = await call(h.app, "POST", "/groups/csv?mode=add", {
      token: h.token,
      raw: "mobile.ios,office.pc\r\nmobile.mac,office.pc\r\n",
      headers: { "content-type": "text/csv" },
    });
    expect(imported.json).toEqual({ added: 2, removed: 0 });
    const deleted = await call(h.app, "POST", "/groups/csv?mode=delete", {
      token: h.token,
      raw: "viewer,client\nmobile.ios,office.pc\nuser1,term.ex\n",
      headers: { "content-type": "text/csv" },
    });
    expect(deleted.json).toEqual({ added: 0, removed: 2 });
    const removed = await call(h.app, "POST", "/groups/links/remove", {
      token: h.token,
      body: { links: [{ viewer: "mobile.mac", client: "office.pc" }] },
    });
    expectStatus(removed, 200);
    expect(removed.json.removed).toBe(1);
  });
});
