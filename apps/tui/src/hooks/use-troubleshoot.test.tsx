import { Text } from "ink";
import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import type { FixTarget } from "../lib/user-draft.js";
import { keys, type RenderedTui, renderInSession, serveDemo, useMswServer } from "../test-utils/render.js";
import { type TroubleshootState, useTroubleshoot } from "./use-troubleshoot.js";

useMswServer();

/** The hook in a component that draws nothing of its own; the test reads what the hook answers. */
let latest: TroubleshootState;
let events: string[];
function Harness() {
  latest = useTroubleshoot({
    onBack: () => events.push("back"),
    onOpenFix: (target: FixTarget) => events.push(`fix ${target.userName} ${target.fix}`),
  });
  return <Text>{latest.mode}</Text>;
}

const renderHook = (): Promise<RenderedTui> => renderInSession(<Harness />);

/** Types the report and finds it. */
async function report(t: RenderedTui, user: string, when: string) {
  await t.type(user);
  await t.press(keys.tab, keys.tab);
  await t.type(when);
  await t.press(keys.enter);
  await t.waitUntil(() => latest.mode === "results");
}

describe("the troubleshoot hook", () => {
  let state: ReturnType<typeof serveDemo>;
  beforeEach(() => {
    state = serveDemo();
    events = [];
  });

  it("takes the report: Space types in a text field and switches viewer/client on the type; both fields are required", async () => {
    const t = await renderHook();
    expect(latest.keys).toEqual([en.keyNextField, `Enter ${en.find}`, en.keyBack]);
    await t.press(keys.enter);
    expect(latest.status).toEqual({ kind: "error", text: en.fieldRequired(en.userName) });
    await t.type("us er");
    await t.press(keys.left);
    expect(latest.form.user).toBe("us er");
    await t.press(keys.tab, " ");
    expect(latest.form.role).toBe("client");
    await t.press(keys.left);
    expect(latest.form.role).toBe("viewer");
    await t.press(keys.enter);
    expect(latest.status).toEqual({ kind: "error", text: en.whenInvalid });
    expect(latest.mode).toBe("form");
    await t.press(keys.escape);
    expect(events).toEqual(["back"]);
  });

  it("finds the attempt, offers its fix, asks before applying it, and applies it on y", async () => {
    const t = await renderHook();
    await report(t, "user1", "11/16 09:00");
    expect(latest.rows).toHaveLength(1);
    expect(latest.target?.fix).toBe("initialise-slot");
    expect(latest.keys).toEqual([en.keyMove, en.keyApply, en.keyEdit, en.keyBack]);
    await t.press("g");
    await t.waitUntil(() => latest.mode === "confirm");
    expect(latest.keys).toEqual([en.keyYesNo]);
    await t.press("n");
    expect(latest.mode).toBe("results");
    expect(latest.pending).toBeNull();
    await t.press("g");
    await t.waitUntil(() => latest.mode === "confirm");
    await t.press("y");
    await t.waitUntil(() => latest.status?.kind === "success");
    expect(state.users.get("user1")?.slots.pc.state).toBe("unregistered-initialised");
    await t.press("e");
    expect(events).toEqual(["fix user1 initialise-slot"]);
    await t.press(keys.escape);
    expect(latest.mode).toBe("form");
  });

  it("offers no fix on a successful attempt, and g and e do nothing there", async () => {
    const t = await renderHook();
    await report(t, "user1", "11/15 10:20");
    for (let i = 0; i < 10 && latest.current?.result !== "success"; i++) await t.press(keys.down);
    expect(latest.current?.result).toBe("success");
    expect(latest.target).toBeNull();
    expect(latest.keys).toEqual([en.keyMove, en.keyBack]);
    await t.press("g", "e");
    expect(latest.mode).toBe("results");
    expect(events).toEqual([]);
  });
});
