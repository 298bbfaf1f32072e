import { Text } from "ink";
import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import type { FixTarget } from "../lib/user-draft.js";
import { keys, type RenderedTui, renderInSession, serveDemo, useMswServer } from "../test-utils/render.js";
import { type HistoryScreenState, useHistoryScreen } from "./use-history-screen.js";

useMswServer();

/** The hook in a component that draws nothing of its own; the test reads what the hook answers. */
let latest: HistoryScreenState;
const events: string[] = [];
function Harness() {
  latest = useHistoryScreen({
    onBack: () => events.push("back"),
    onOpenFix: (target: FixTarget) => events.push(`fix ${target.userName}`),
  });
  return <Text>{latest.mode}</Text>;
}

async function renderHook(): Promise<RenderedTui> {
  const t = await renderInSession(<Harness />);
  await t.waitUntil(() => latest.pages.page !== null);
  return t;
}

const formKeys = (submit: string) => [en.keyNextField, "←→ Space", `Enter ${submit}`, en.keyBack];

describe("the access history screen's hook", () => {
  beforeEach(() => {
    serveDemo();
    events.length = 0;
  });

  it("edits the filters in a draft: Esc drops it, Enter applies it and goes back to the first row", async () => {
    const t = await renderHook();
    await t.press(keys.down);
    expect(latest.selected).toBe(1);
    await t.press("f");
    expect(latest.mode).toBe("filters");
    expect(latest.focus).toBe("role");
    expect(latest.keys).toEqual(formKeys(en.update));
    await t.press(keys.tab, keys.tab);
    expect(latest.focus).toBe("user");
    // Space and ←→ reach a text field as typing, not as a choice.
    await t.type("user 1");
    await t.press(keys.left, keys.backspace, keys.backspace);
    expect(latest.draft.user).toBe("user");
    await t.press(keys.escape);
    expect(latest.mode).toBe("table");
    expect(latest.filter.user).toBe("");
    await t.press("f");
    expect(latest.draft.user).toBe("");
    await t.press(keys.tab, keys.tab);
    await t.type("user1");
    await t.press(keys.up, keys.up, keys.right);
    expect(latest.draft.role).toBe("viewer");
    await t.press(keys.enter);
    expect(latest.mode).toBe("table");
    expect(latest.filter).toMatchObject({ user: "user1", role: "viewer" });
    expect(latest.selected).toBe(0);
  });

  it("keeps the filters form open on a time it can't read, with the field focused", async () => {
    const t = await renderHook();
    await t.press("f", keys.tab, keys.tab, keys.tab);
    expect(latest.focus).toBe("from");
    await t.type("someday");
    await t.press(keys.tab, keys.enter);
    expect(latest.mode).toBe("filters");
    expect(latest.focus).toBe("from");
    expect(latest.filterError).toBe(en.whenInvalid);
  });

  it("opens a row's details and its fix, offering g only where the row has one", async () => {
    const t = await renderHook();
    await t.waitUntil(() => latest.current !== null);
    for (let i = 0; i < 20 && latest.target === null; i++) await t.press(keys.down);
    expect(latest.target).not.toBeNull();
    expect(latest.keys).toContain(en.keyFix);
    await t.press(keys.enter);
    expect(latest.mode).toBe("details");
    expect(latest.keys).toEqual([en.keyFix, en.keyBack]);
    await t.press("g");
    expect(events).toEqual([`fix ${latest.target?.userName}`]);
    await t.press(keys.enter);
    expect(latest.mode).toBe("table");
    await t.press(keys.escape);
    expect(events.at(-1)).toBe("back");
  });

  it("opens the CSV export on the path, with the table's extended display, and cycles its choices", async () => {
    const t = await renderHook();
    await t.press("x");
    expect(latest.mode).toBe("export");
    expect(latest.csvFocus).toBe("path");
    expect(latest.keys).toEqual(formKeys(en.exportTitle));
    // ←→ move nowhere in the path; Space is typed.
    await t.press(keys.right, " ");
    expect(latest.csv.path).toBe("./access-history.csv ");
    await t.press(keys.tab, keys.right);
    expect(latest.csv.lang).toBe("ja");
    await t.press(keys.tab, " ");
    expect(latest.csv.encoding).toBe("shift_jis");
    await t.press(keys.up, keys.up, keys.up);
    expect(latest.csvFocus).toBe("extended");
    await t.press(keys.escape);
    expect(latest.mode).toBe("table");
    expect(latest.csv.lang).toBe("ja");
  });
});
