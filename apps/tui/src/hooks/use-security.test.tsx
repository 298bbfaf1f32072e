import { Text } from "ink";
import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import { keys, type RenderedTui, renderInSession, serveDemo, useMswServer } from "../test-utils/render.js";
import { fieldOfError, type SecurityState, useSecurity } from "./use-security.js";

useMswServer();

/** The hook in a component that draws nothing of its own; the test reads what the hook answers. */
let latest: SecurityState;
let events: string[];
function Harness() {
  latest = useSecurity({ onBack: () => events.push("back") });
  return <Text>{latest.focus}</Text>;
}

async function renderHook(): Promise<RenderedTui> {
  const t = await renderInSession(<Harness />);
  await t.waitUntil(() => latest.form !== null);
  return t;
}

describe("the security hook", () => {
  let state: ReturnType<typeof serveDemo>;
  beforeEach(() => {
    state = serveDemo();
    events = [];
  });

  it("types only digits into the numeric settings and anything into the allow-list", async () => {
    const t = await renderHook();
    expect(latest.keys).toEqual([en.keyNextField, `Enter ${en.update}`, en.keyBack]);
    await t.type("10.0.0.0/8");
    expect(latest.form?.allow).toBe("10.0.0.0/8");
    await t.press(keys.tab, keys.backspace);
    await t.type("x7 ");
    expect(latest.form?.threshold).toBe("7");
    await t.press(keys.up, keys.up);
    expect(latest.focus).toBe("idle");
    await t.press(keys.escape);
    expect(events).toEqual(["back"]);
  });

  it("saves after a yes, and names the field the API refuses under it until it is edited", async () => {
    const t = await renderHook();
    await t.press(keys.up, keys.backspace, keys.backspace, keys.backspace, keys.backspace);
    await t.type("30");
    await t.press(keys.enter);
    expect(latest.confirming).toBe(true);
    expect(latest.keys).toEqual([en.keyYesNo]);
    await t.press("y");
    await t.waitUntil(() => latest.fieldError !== null);
    expect(latest.focus).toBe("idle");
    expect(latest.fieldError?.text).toMatch(/^Admin idle timeout \(s\): at least 60/);
    expect(state.security.adminIdleTimeoutSeconds).toBe(1800);
    await t.type("0");
    expect(latest.fieldError).toBeNull();
    await t.press(keys.enter, "y");
    await t.waitUntil(() => latest.status?.kind === "success");
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
