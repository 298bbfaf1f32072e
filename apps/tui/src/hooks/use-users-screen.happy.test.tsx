import { act } from "react";
import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import type { FixTarget } from "../lib/user-draft.js";
import { keys, type RenderedTui, renderHook, serveDemo, useMswServer } from "../test-utils/render.js";
import { type UsersScreenState, useUsersScreen } from "./use-users-screen.js";

useMswServer();

let result: { readonly current: UsersScreenState };
let events: string[];

async function open(target?: { userName: string; fix?: FixTarget }): Promise<RenderedTui> {
  const t = await renderHook(() => useUsersScreen({ open: target, onBack: () => events.push("back") }));
  result = t.result;
  await t.waitUntil(() => result.current.users !== null);
  return t;
}

const listKeys = [en.keyMove, en.keyOpen, en.keyEdit, en.keySearch, en.keySelect, en.keyBatch, en.keyBack];

describe("the user management hook", () => {
  beforeEach(() => {
    serveDemo();
    events = [];
  });

  it("types a search with every key but Enter and Esc, then lists what it finds", async () => {
    const t = await open();
    expect(result.current.keys).toEqual(listKeys);
    await t.press("/");
    expect(result.current.searching).toBe(true);
    expect(result.current.keys).toEqual([en.keySubmit, en.keyBack]);
    // "e", "b" and Space are letters of the search here, not edit, batch and tick.
    await t.type("be ");
    expect(result.current.q).toBe("be ");
    expect(result.current.view.kind).toBe("list");
    expect(result.current.ticked.size).toBe(0);
    await t.press(keys.backspace, keys.backspace, keys.backspace);
    await t.type("Sales");
    await t.press(keys.enter);
    expect(result.current.searching).toBe(false);
    await t.waitUntil(() => result.current.users?.length === 1);
    expect(result.current.users?.[0]?.memo).toContain("Sales");
    await t.press("/", keys.escape);
    expect(result.current.searching).toBe(false);
    expect(result.current.q).toBe("Sales");
  });

  it("asks for ticks before batch management, then opens it on the ticked users", async () => {
    const t = await open();
    await t.press("b");
    expect(result.current.status).toEqual({ kind: "error", text: en.batchSelectFirst });
    expect(result.current.view.kind).toBe("list");
    const first = result.current.users?.[0]?.userName;
    await t.press(" ", keys.down, " ", " ");
    expect([...result.current.ticked]).toEqual([first]);
    await t.press("b");
    expect(result.current.view).toMatchObject({ kind: "batch", users: [{ userName: first }] });
    expect(result.current.status).toBeNull();
    await act(async () => result.current.batch.onCancel());
    await t.waitUntil(() => result.current.view.kind === "list");
  });

  it("opens a user's details, edits from there, and comes back to the list; Esc leaves", async () => {
    const t = await open();
    const name = result.current.users?.[0]?.userName;
    await t.press(keys.enter);
    await t.waitUntil(() => result.current.view.kind === "detail");
    expect(result.current.view).toMatchObject({ kind: "detail", user: { userName: name } });
    expect(result.current.keys).toEqual([en.keyEdit, en.keyBack]);
    await t.press("e");
    expect(result.current.view.kind).toBe("edit");
    await act(async () => result.current.edit.onCancel());
    await t.waitUntil(() => result.current.view.kind === "list");
    await t.press(keys.escape);
    expect(events).toEqual(["back"]);
  });

  it("opened with a fix goes straight to the edit screen with it preset, and cancelling shows the user", async () => {
    const t = await open({
      userName: "user1",
      fix: { userName: "user1", fix: "password", role: "viewer" } as FixTarget,
    });
    await t.waitUntil(() => result.current.view.kind === "edit");
    expect(result.current.view).toMatchObject({
      kind: "edit",
      user: { userName: "user1" },
      focus: "password",
    });
    expect(result.current.view.kind === "edit" && result.current.view.draft?.passwordMode).toBe("change");
    await act(async () => result.current.edit.onCancel());
    await t.waitUntil(() => result.current.view.kind === "detail");
  });
});
