import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import { keys, type RenderedTui, renderHook, serveDemo, useMswServer } from "../test-utils/render.js";
import { fieldOfError, type SecurityState, useSecurity } from "./use-security.js";

useMswServer();

let result: { readonly current: SecurityState };
let events: string[];

async function open(): Promise<RenderedTui> {
  const t = await renderHook(() => useSecurity({ onBack: () => events.push("back") }));
  result = t.result;
  await t.waitUntil(() => result.current.form !== null);
  return t;
}

describe("the security hook", () => {
  let state: ReturnType<typeof serveDemo>;
  beforeEach(() => {
    state = serveDemo();
    events = [];
  });

  it("types only digits into the numeric settings and anything into the allow-list", async () => {
    const t = await open();
    expect(result.current.keys).toEqual([en.keyNextField, `Enter ${en.update}`, en.keyBack]);
    await t.type("10.0.0.0/8");
    expect(result.current.form?.allow).toBe("10.0.0.0/8");
    await t.press(keys.tab, keys.backspace);
    await t.type("x7 ");
    expect(result.current.form?.threshold).toBe("7");
    await t.press(keys.up, keys.up);
    expect(result.current.focus).toBe("idle");
    await t.press(keys.escape);
    expect(events).toEqual(["back"]);
  });

  it("saves after a yes, and names the field the API refuses under it until it is edited", async () => {
    const t = await open();
    await t.press(keys.up, keys.backspace, keys.backspace, keys.backspace, keys.backspace);
    await t.type("30");
    await t.press(keys.enter);
    expect(result.current.confirming).toBe(true);
    expect(result.current.keys).toEqual([en.keyYesNo]);
    await t.press("y");
    await t.waitUntil(() => result.current.fieldError !== null);
    expect(result.current.focus).toBe("idle");
    expect(result.current.fieldError?.text).toMatch(/^Admin idle timeout \(s\): at least 60/);
    expect(state.security.adminIdleTimeoutSeconds).toBe(1800);
    await t.type("0");
    expect(result.current.fieldError).toBeNull();
    await t.press(keys.enter, "y");
    await t.waitUntil(() => result.current.status?.kind === "success");
    expect(state.security.adminIdleTimeoutSeconds).toBe(300);
  });

  it("maps the API's field names to the form's", () => {
    expect(fieldOfError("adminAllowCidrs[1]")).toBe("allow");
    expect(fieldOfError("lockout.threshold")).toBe("threshold");
    expect(fieldOfError("lockout.durationSeconds")).toBe("duration");
    expect(fieldOfError("adminIdleTimeoutSeconds")).toBe("idle");
    expect(fieldOfError("other")).toBeNull();
  });
});
