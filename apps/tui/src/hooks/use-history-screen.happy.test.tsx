import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import type { FixTarget } from "../lib/user-draft.js";
import { keys, type RenderedTui, renderHook, serveDemo, useMswServer } from "../test-utils/render.js";
import { type HistoryScreenState, useHistoryScreen } from "./use-history-screen.js";

useMswServer();

let result: { readonly current: HistoryScreenState };
const events: string[] = [];

async function render(): Promise<RenderedTui> {
  const t = await renderHook(() =>
    useHistoryScreen({
      onBack: () => events.push("back"),
      onOpenFix: (target: FixTarget) => events.push(`fix ${target.userName}`),
    }),
  );
  result = t.result;
  await t.waitUntil(() => result.current.pages.page !== null);
  return t;
}

const formKeys = (submit: string) => [en.keyNextField, "←→ Space", `Enter ${submit}`, en.keyBack];

describe("the access history screen's hook", () => {
  beforeEach(() => {
    serveDemo();
    events.length = 0;
  });

  it("edits the filters in a draft: Esc drops it, Enter applies it and goes back to the first row", async () => {
    const t = await render();
    await t.press(keys.down);
    expect(result.current.selected).toBe(1);
    await t.press("f");
    expect(result.current.mode).toBe("filters");
    expect(result.current.focus).toBe("role");
    expect(result.current.keys).toEqual(formKeys(en.update));
    await t.press(keys.tab, keys.tab);
    expect(result.current.focus).toBe("user");
    // Space and ←→ reach a text field as typing, not as a choice.
    await t.type("user 1");
    await t.press(keys.left, keys.backspace, keys.backspace);
    expect(result.current.draft.user).toBe("user");
    await t.press(keys.escape);
    expect(result.current.mode).toBe("table");
    expect(result.current.filter.user).toBe("");
    await t.press("f");
    expect(result.current.draft.user).toBe("");
    await t.press(keys.tab, keys.tab);
    await t.type("user1");
    await t.press(keys.up, keys.up, keys.right);
    expect(result.current.draft.role).toBe("viewer");
    await t.press(keys.enter);
    expect(result.current.mode).toBe("table");
    expect(result.current.filter).toMatchObject({ user: "user1", role: "viewer" });
    expect(result.current.selected).toBe(0);
  });

  it("keeps the filters form open on a time it can't read, with the field focused", async () => {
    const t = await render();
    await t.press("f", keys.tab, keys.tab, keys.tab);
    expect(result.current.focus).toBe("from");
    await t.type("someday");
    await t.press(keys.tab, keys.enter);
    expect(result.current.mode).toBe("filters");
    expect(result.current.focus).toBe("from");
    expect(result.current.filterError).toBe(en.whenInvalid);
  });

  it("opens a row's details and its fix, offering g only where the row has one", async () => {
    const t = await render();
    await t.waitUntil(() => result.current.current !== null);
    for (let i = 0; i < 20 && result.current.target === null; i++) await t.press(keys.down);
    expect(result.current.target).not.toBeNull();
    expect(result.current.keys).toContain(en.keyFix);
    await t.press(keys.enter);
    expect(result.current.mode).toBe("details");
    expect(result.current.keys).toEqual([en.keyFix, en.keyBack]);
    await t.press("g");
    expect(events).toEqual([`fix ${result.current.target?.userName}`]);
    await t.press(keys.enter);
    expect(result.current.mode).toBe("table");
    await t.press(keys.escape);
    expect(events.at(-1)).toBe("back");
  });

  it("opens the CSV export on the path, with the table's extended display, and cycles its choices", async () => {
    const t = await render();
    await t.press("x");
    expect(result.current.mode).toBe("export");
    expect(result.current.csvFocus).toBe("path");
    expect(result.current.keys).toEqual(formKeys(en.exportTitle));
    // ←→ move nowhere in the path; Space is typed.
    await t.press(keys.right, " ");
    expect(result.current.csv.path).toBe("./access-history.csv ");
    await t.press(keys.tab, keys.right);
    expect(result.current.csv.lang).toBe("ja");
    await t.press(keys.tab, " ");
    expect(result.current.csv.encoding).toBe("shift_jis");
    await t.press(keys.up, keys.up, keys.up);
    expect(result.current.csvFocus).toBe("extended");
    await t.press(keys.escape);
    expect(result.current.mode).toBe("table");
    expect(result.current.csv.lang).toBe("ja");
  });
});
