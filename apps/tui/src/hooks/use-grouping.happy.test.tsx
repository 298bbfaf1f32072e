import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import { keys, type RenderedTui, renderHook, serveDemo, useMswServer } from "../test-utils/render.js";
import { type GroupingState, useGrouping } from "./use-grouping.js";

useMswServer();

let result: { readonly current: GroupingState };
let events: string[];

async function open(): Promise<RenderedTui> {
  const t = await renderHook(() => useGrouping({ onBack: () => events.push("back") }));
  result = t.result;
  await t.waitUntil(() => result.current.groups !== null);
  return t;
}

const pairs = () => result.current.links.map((l) => `${l.viewer}>${l.client}`);

describe("the grouping hook", () => {
  let state: ReturnType<typeof serveDemo>;
  beforeEach(() => {
    state = serveDemo();
    events = [];
  });

  it("sorts the links by the end the view is keyed on, and v switches the end", async () => {
    const t = await open();
    expect(result.current.keys).toEqual([en.keyMove, en.keySwitch, en.keyAdd, en.keyRemove, en.keyBack]);
    expect(pairs()).toEqual(["usb.ndl>office.pc", "user1>office.pc"]);
    await t.press("v");
    expect(result.current.by).toBe("client");
    await t.press(keys.escape);
    expect(events).toEqual(["back"]);
  });

  it("adds a link: Tab moves between the ends, Enter with one end empty goes to it, then sends", async () => {
    const t = await open();
    await t.press("a");
    expect(result.current.mode).toBe("add");
    expect(result.current.keys).toEqual([en.keyNextField, en.keySubmit, en.keyBack]);
    // "v", "a" and "d" are letters of a user name here.
    await t.type("vad");
    await t.press(keys.backspace, keys.backspace, keys.backspace);
    await t.type("user1");
    await t.press(keys.enter);
    expect(result.current.add.focus).toBe("client");
    await t.type("mac.limited");
    await t.press(keys.enter);
    await t.waitUntil(() => result.current.mode === "list" && pairs().includes("user1>mac.limited"));
    expect(result.current.add).toEqual({ viewer: "", client: "", focus: "viewer" });
    expect(result.current.status).toEqual({ kind: "success", text: en.linkAdded });
  });

  it("removes the selected link after a yes, and not after a no", async () => {
    const t = await open();
    await t.press(keys.down, "d");
    expect(result.current.mode).toBe("remove");
    expect(result.current.keys).toEqual([en.keyYesNo]);
    await t.press("n");
    expect(result.current.mode).toBe("list");
    expect(state.links).toHaveLength(2);
    await t.press("d", "y");
    await t.waitUntil(() => result.current.links.length === 1);
    expect(pairs()).toEqual(["usb.ndl>office.pc"]);
    expect(result.current.selected).toBe(0);
  });
});
