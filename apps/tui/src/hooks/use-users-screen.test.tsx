import { Text } from "ink";
import { act } from "react";
import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import type { FixTarget } from "../lib/user-draft.js";
import { keys, type RenderedTui, renderInSession, serveDemo, useMswServer } from "../test-utils/render.js";
import { type UsersScreenState, useUsersScreen } from "./use-users-screen.js";

useMswServer();

/** The hook in a component that draws nothing of its own; the test reads what the hook answers. */
let latest: UsersScreenState;
let events: string[];
function Harness({ open }: { open?: { userName: string; fix?: FixTarget } }) {
  latest = useUsersScreen({ open, onBack: () => events.push("back") });
  return <Text>{latest.view.kind}</Text>;
}

async function renderHook(open?: { userName: string; fix?: FixTarget }): Promise<RenderedTui> {
  const t = await renderInSession(<Harness {...(open ? { open } : {})} />);
  await t.waitUntil(() => latest.users !== null);
  return t;
}

const listKeys = [en.keyMove, en.keyOpen, en.keyEdit, en.keySearch, en.keySelect, en.keyBatch, en.keyBack];

describe("the user management hook", () => {
  beforeEach(() => {
    serveDemo();
    events = [];
  });

  it("types a search with every key but Enter and Esc, then lists what it finds", async () => {
    const t = await renderHook();
    expect(latest.keys).toEqual(listKeys);
    await t.press("/");
    expect(latest.searching).toBe(true);
    expect(latest.keys).toEqual([en.keySubmit, en.keyBack]);
    // "e", "b" and Space are letters of the search here, not edit, batch and tick.
    await t.type("be ");
    expect(latest.q).toBe("be ");
    expect(latest.view.kind).toBe("list");
    expect(latest.ticked.size).toBe(0);
    await t.press(keys.backspace, keys.backspace, keys.backspace);
    await t.type("Sales");
    await t.press(keys.enter);
    expect(latest.searching).toBe(false);
    await t.waitUntil(() => latest.users?.length === 1);
    expect(latest.users?.[0]?.memo).toContain("Sales");
    await t.press("/", keys.escape);
    expect(latest.searching).toBe(false);
    expect(latest.q).toBe("Sales");
  });

  it("asks for ticks before batch management, then opens it on the ticked users", async () => {
    const t = await renderHook();
    await t.press("b");
    expect(latest.status).toEqual({ kind: "error", text: en.batchSelectFirst });
    expect(latest.view.kind).toBe("list");
    const first = latest.users?.[0]?.userName;
    await t.press(" ", keys.down, " ", " ");
    expect([...latest.ticked]).toEqual([first]);
    await t.press("b");
    expect(latest.view).toMatchObject({ kind: "batch", users: [{ userName: first }] });
    expect(latest.status).toBeNull();
    await act(async () => latest.batch.onCancel());
    await t.waitUntil(() => latest.view.kind === "list");
  });

  it("opens a user's details, edits from there, and comes back to the list; Esc leaves", async () => {
    const t = await renderHook();
    const name = latest.users?.[0]?.userName;
    await t.press(keys.enter);
    await t.waitUntil(() => latest.view.kind === "detail");
    expect(latest.view).toMatchObject({ kind: "detail", user: { userName: name } });
    expect(latest.keys).toEqual([en.keyEdit, en.keyBack]);
    await t.press("e");
    expect(latest.view.kind).toBe("edit");
    await act(async () => latest.edit.onCancel());
    await t.waitUntil(() => latest.view.kind === "list");
    await t.press(keys.escape);
    expect(events).toEqual(["back"]);
  });

  it("opened with a fix goes straight to the edit screen with it preset, and cancelling shows the user", async () => {
    const t = await renderHook({
      userName: "user1",
      fix: { userName: "user1", fix: "password", role: "viewer" } as FixTarget,
    });
    await t.waitUntil(() => latest.view.kind === "edit");
    expect(latest.view).toMatchObject({ kind: "edit", user: { userName: "user1" }, focus: "password" });
    expect(latest.view.kind === "edit" && latest.view.draft?.passwordMode).toBe("change");
    await act(async () => latest.edit.onCancel());
    await t.waitUntil(() => latest.view.kind === "detail");
  });
});
