import { Text } from "ink";
import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import { keys, type RenderedTui, renderInSession, serveDemo, useMswServer } from "../test-utils/render.js";
import { type GroupingState, useGrouping } from "./use-grouping.js";

useMswServer();

/** The hook in a component that draws nothing of its own; the test reads what the hook answers. */
let latest: GroupingState;
let events: string[];
function Harness() {
  latest = useGrouping({ onBack: () => events.push("back") });
  return <Text>{latest.mode}</Text>;
}

async function renderHook(): Promise<RenderedTui> {
  const t = await renderInSession(<Harness />);
  await t.waitUntil(() => latest.groups !== null);
  return t;
}

const pairs = () => latest.links.map((l) => `${l.viewer}>${l.client}`);

describe("the grouping hook", () => {
  let state: ReturnType<typeof serveDemo>;
  beforeEach(() => {
    state = serveDemo();
    events = [];
  });

  it("sorts the links by the end the view is keyed on, and v switches the end", async () => {
    const t = await renderHook();
    expect(latest.keys).toEqual([en.keyMove, en.keySwitch, en.keyAdd, en.keyRemove, en.keyBack]);
    expect(pairs()).toEqual(["usb.ndl>office.pc", "user1>office.pc"]);
    await t.press("v");
    expect(latest.by).toBe("client");
    await t.press(keys.escape);
    expect(events).toEqual(["back"]);
  });

  it("adds a link: Tab moves between the ends, Enter with one end empty goes to it, then sends", async () => {
    const t = await renderHook();
    await t.press("a");
    expect(latest.mode).toBe("add");
    expect(latest.keys).toEqual([en.keyNextField, en.keySubmit, en.keyBack]);
    // "v", "a" and "d" are letters of a user name here.
    await t.type("vad");
    await t.press(keys.backspace, keys.backspace, keys.backspace);
    await t.type("user1");
    await t.press(keys.enter);
    expect(latest.add.focus).toBe("client");
    await t.type("mac.limited");
    await t.press(keys.enter);
    await t.waitUntil(() => latest.mode === "list" && pairs().includes("user1>mac.limited"));
    expect(latest.add).toEqual({ viewer: "", client: "", focus: "viewer" });
    expect(latest.status).toEqual({ kind: "success", text: en.linkAdded });
  });

  it("removes the selected link after a yes, and not after a no", async () => {
    const t = await renderHook();
    await t.press(keys.down, "d");
    expect(latest.mode).toBe("remove");
    expect(latest.keys).toEqual([en.keyYesNo]);
    await t.press("n");
    expect(latest.mode).toBe("list");
    expect(state.links).toHaveLength(2);
    await t.press("d", "y");
    await t.waitUntil(() => latest.links.length === 1);
    expect(pairs()).toEqual(["usb.ndl>office.pc"]);
    expect(latest.selected).toBe(0);
  });
});
