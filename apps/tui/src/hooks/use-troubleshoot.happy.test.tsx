import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import type { FixTarget } from "../lib/user-draft.js";
import { keys, type RenderedTui, renderHook, serveDemo, useMswServer } from "../test-utils/render.js";
import { type TroubleshootState, useTroubleshoot } from "./use-troubleshoot.js";

useMswServer();

let result: { readonly current: TroubleshootState };
let events: string[];

async function open(): Promise<RenderedTui> {
  const t = await renderHook(() =>
    useTroubleshoot({
      onBack: () => events.push("back"),
      onOpenFix: (target: FixTarget) => events.push(`fix ${target.userName} ${target.fix}`),
    }),
  );
  result = t.result;
  return t;
}

/** Types the report and finds it. */
async function report(t: RenderedTui, user: string, when: string) {
  await t.type(user);
  await t.press(keys.tab, keys.tab);
  await t.type(when);
  await t.press(keys.enter);
  await t.waitUntil(() => result.current.mode === "results");
}

describe("the troubleshoot hook", () => {
  let state: ReturnType<typeof serveDemo>;
  beforeEach(() => {
    state = serveDemo();
    events = [];
  });

  it("takes the report: Space types in a text field and switches viewer/client on the type; both fields are required", async () => {
    const t = await open();
    expect(result.current.keys).toEqual([en.keyNextField, `Enter ${en.find}`, en.keyBack]);
    await t.press(keys.enter);
    expect(result.current.status).toEqual({ kind: "error", text: en.fieldRequired(en.userName) });
    await t.type("us er");
    await t.press(keys.left);
    expect(result.current.form.user).toBe("us er");
    await t.press(keys.tab, " ");
    expect(result.current.form.role).toBe("client");
    await t.press(keys.left);
    expect(result.current.form.role).toBe("viewer");
    await t.press(keys.enter);
    expect(result.current.status).toEqual({ kind: "error", text: en.whenInvalid });
    expect(result.current.mode).toBe("form");
    await t.press(keys.escape);
    expect(events).toEqual(["back"]);
  });

  it("finds the attempt, offers its fix, asks before applying it, and applies it on y", async () => {
    const t = await open();
    await report(t, "user1", "11/16 09:00");
    expect(result.current.rows).toHaveLength(1);
    expect(result.current.target?.fix).toBe("initialise-slot");
    expect(result.current.keys).toEqual([en.keyMove, en.keyApply, en.keyEdit, en.keyBack]);
    await t.press("g");
    await t.waitUntil(() => result.current.mode === "confirm");
    expect(result.current.keys).toEqual([en.keyYesNo]);
    await t.press("n");
    expect(result.current.mode).toBe("results");
    expect(result.current.pending).toBeNull();
    await t.press("g");
    await t.waitUntil(() => result.current.mode === "confirm");
    await t.press("y");
    await t.waitUntil(() => result.current.status?.kind === "success");
    expect(state.users.get("user1")?.slots.pc.state).toBe("unregistered-initialised");
    await t.press("e");
    expect(events).toEqual(["fix user1 initialise-slot"]);
    await t.press(keys.escape);
    expect(result.current.mode).toBe("form");
  });

  it("offers no fix on a successful attempt, and g and e do nothing there", async () => {
    const t = await open();
    await report(t, "user1", "11/15 10:20");
    for (let i = 0; i < 10 && result.current.current?.result !== "success"; i++) await t.press(keys.down);
    expect(result.current.current?.result).toBe("success");
    expect(result.current.target).toBeNull();
    expect(result.current.keys).toEqual([en.keyMove, en.keyBack]);
    await t.press("g", "e");
    expect(result.current.mode).toBe("results");
    expect(events).toEqual([]);
  });
});
