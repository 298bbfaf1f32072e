import type { MswState } from "@tsunagi/fixtures/msw";
import { beforeEach, describe, expect, it } from "vitest";
import type { UserDetail } from "../api/types.js";
import { en } from "../i18n/en.js";
import { keys, type RenderedTui, renderHook, serveDemo, useMswServer } from "../test-utils/render.js";
import { type UserEditState, useUserEdit } from "./use-user-edit.js";

useMswServer();

let result: { readonly current: UserEditState };
let events: string[];
let saved: UserDetail | null;

let state: MswState;
async function render(): Promise<RenderedTui> {
  const user = structuredClone(state.users.get("user1")) as UserDetail;
  const t = await renderHook(() =>
    useUserEdit({
      user,
      onSaved: (u) => {
        saved = u;
        events.push("saved");
      },
      onCancel: () => events.push("cancel"),
      onStale: () => events.push("stale"),
    }),
  );
  result = t.result;
  return t;
}

const memo = () => result.current.fields.find((f) => f.id === "memo");

describe("the user edit hook", () => {
  beforeEach(() => {
    state = serveDemo();
    events = [];
    saved = null;
  });

  it("says there is nothing to save before anything changed, and Esc cancels", async () => {
    const t = await render();
    expect(result.current.focus).toBe("userType");
    expect(result.current.keys).toEqual([en.keyMove, en.keyToggle, `Enter ${en.update}`, en.keyBack]);
    await t.press(keys.enter);
    expect(result.current.confirming).toBe(false);
    expect(result.current.status).toEqual({ kind: "info", text: en.noChanges });
    await t.press(keys.escape);
    expect(events).toEqual(["cancel"]);
  });

  it("types into a text line (Space too), confirms with the changes listed, and ignores typing while asking", async () => {
    const t = await render();
    // Up from the first line goes round to the last: the memo.
    await t.press(keys.up);
    expect(result.current.focus).toBe("memo");
    const before = memo()?.value ?? "";
    await t.type(" x");
    await t.press(keys.left);
    expect(memo()?.value).toBe(`${before} x`);
    expect(memo()?.changed).toBe(true);
    await t.press(keys.enter);
    expect(result.current.confirming).toBe(true);
    expect(result.current.keys).toEqual([en.keyYesNo]);
    expect(result.current.summary).toEqual([`${en.memo}: ${before} x`]);
    await t.type("zz");
    await t.press("n");
    expect(result.current.confirming).toBe(false);
    expect(memo()?.value).toBe(`${before} x`);
    await t.press(keys.enter, "y");
    await t.waitUntil(() => saved !== null);
    expect(saved?.memo).toBe(`${before} x`);
    expect(state.users.get("user1")?.memo).toBe(`${before} x`);
  });

  it("ticks a toggle with Space and cycles a choice back with ←", async () => {
    const t = await render();
    const line = (id: string) => result.current.fields.find((f) => f.id === id);
    await t.press(keys.down, keys.down);
    expect(result.current.focus).toBe("viewerUsable");
    const was = line("viewerUsable")?.value;
    await t.press(" ");
    expect(line("viewerUsable")?.value).not.toBe(was);
    expect(line("viewerUsable")?.changed).toBe(true);
    await t.press(keys.right);
    expect(line("viewerUsable")?.changed).toBe(false);
    await t.press(keys.up);
    const product = line("viewerProduct")?.value;
    await t.press(keys.right, keys.left);
    expect(line("viewerProduct")?.value).toBe(product);
  });

  it("refuses a new password under 8 characters with the focus on it", async () => {
    const t = await render();
    for (let i = 0; i < 30 && result.current.focus !== "passwordMode"; i++) await t.press(keys.down);
    await t.press(" ", keys.down);
    expect(result.current.focus).toBe("password");
    await t.type("short");
    await t.press(keys.up, keys.enter);
    expect(result.current.confirming).toBe(false);
    expect(result.current.focus).toBe("password");
    expect(result.current.status?.kind).toBe("error");
  });

  it("reports a user changed since it was read (409) as stale", async () => {
    const t = await render();
    await t.press(keys.up);
    await t.type("!");
    const user = state.users.get("user1");
    if (user) state.users.set("user1", { ...user, version: user.version + 1 });
    await t.press(keys.enter, "y");
    await t.waitUntil(() => events.includes("stale"));
    expect(result.current.status).toEqual({ kind: "error", text: en.versionConflict });
    expect(result.current.confirming).toBe(false);
  });
});
