import { MSW_ADMIN_API, type MswState } from "@tsunagi/fixtures/msw";
import { beforeEach, describe, expect, it } from "vitest";
import { createHttpPort } from "../api/client.js";
import type { UserSummary } from "../api/types.js";
import { en } from "../i18n/en.js";
import { keys, type RenderedTui, renderHook, serveDemo, useMswServer } from "../test-utils/render.js";
import { type BatchState, useBatch } from "./use-batch.js";

useMswServer();

let result: { readonly current: BatchState };
let events: string[];

/** The users named, as the list hands them over (GET /users). */
async function summaries(server: string, login: string, names: string[]): Promise<UserSummary[]> {
  const api = createHttpPort(MSW_ADMIN_API);
  const res = await api.login({ server, login, password: "demo-temp-1234" });
  if (!res.ok) throw new Error(res.error.message);
  const page = await api.withToken(res.value.token).users("");
  if (!page.ok) throw new Error(page.error.message);
  return page.value.users.filter((u) => names.includes(u.userName));
}

const value = (id: string) => result.current.fields.find((f) => f.id === id)?.value;

let state: MswState;
async function open(contract: "asp1" | "neo" = "asp1", names = ["user1", "term.ex"]): Promise<RenderedTui> {
  const users =
    contract === "neo"
      ? await summaries("neo1", "neo.admin", ["neo.user1"])
      : await summaries("asp1", "account.admin", names);
  const t = await renderHook(
    () =>
      useBatch({ users, onSaved: (n) => events.push(`saved ${n}`), onCancel: () => events.push("cancel") }),
    { contract },
  );
  result = t.result;
  return t;
}

describe("the batch management hook", () => {
  beforeEach(() => {
    events = [];
  });

  it("leaves everything as is until set; Enter with nothing set says so, Esc cancels", async () => {
    state = serveDemo();
    const t = await open();
    expect(result.current.keys).toEqual([en.keyMove, en.keyToggle, `Enter ${en.update}`, en.keyBack]);
    expect(result.current.fields.every((f) => !f.changed)).toBe(true);
    // A legacy contract has no neo lines.
    expect(result.current.fields.map((f) => f.id)).not.toContain("neoDeviceLimit");
    await t.press(keys.enter);
    expect(result.current.confirming).toBe(false);
    expect(result.current.status).toEqual({ kind: "info", text: en.noChanges });
    await t.press(keys.escape);
    expect(events).toEqual(["cancel"]);
  });

  it("ticks an action on and off, cycles a setting both ways, and saves every selected user at once", async () => {
    state = serveDemo();
    const t = await open();
    const versions = ["user1", "term.ex"].map((n) => state.users.get(n)?.version ?? -1);
    await t.press(" ");
    expect(value("initialisePc")).toBe("[x]");
    await t.press(keys.right);
    expect(value("initialisePc")).toBe(`(${en.leaveAsIs})`);
    for (let i = 0; i < 10 && result.current.focus !== "clientUsable"; i++) await t.press(keys.down);
    await t.press(keys.right, keys.right);
    expect(value("clientUsable")).toBe(en.no);
    await t.press(keys.left);
    expect(value("clientUsable")).toBe(en.yes);
    await t.press(keys.enter);
    expect(result.current.confirming).toBe(true);
    expect(result.current.keys).toEqual([en.keyYesNo]);
    await t.press("n");
    expect(result.current.confirming).toBe(false);
    await t.press(keys.enter, "y");
    await t.waitUntil(() => events.length > 0);
    expect(events).toEqual(["saved 2"]);
    expect(["user1", "term.ex"].map((n) => state.users.get(n)?.version)).toEqual(versions.map((v) => v + 1));
    expect(state.requests.at(-1)?.body).toMatchObject({
      users: [{ userName: "term.ex", permissions: { clientUsable: true } }, { userName: "user1" }],
    });
  });

  it("on a neo contract types the device limit, refuses one out of range, and Backspace leaves it as is", async () => {
    state = serveDemo({ contract: "neo" });
    const t = await open("neo");
    for (let i = 0; i < 5 && result.current.focus !== "neoDeviceLimit"; i++) await t.press(keys.down);
    expect(result.current.focus).toBe("neoDeviceLimit");
    await t.press(" ");
    expect(value("neoDeviceLimit")).toBe(en.contractDefault);
    await t.type("150");
    expect(value("neoDeviceLimit")).toBe("150");
    await t.press(keys.up, keys.enter);
    expect(result.current.focus).toBe("neoDeviceLimit");
    expect(result.current.status).toEqual({ kind: "error", text: en.deviceLimitInvalid });
    await t.press(keys.backspace, keys.backspace, keys.backspace);
    expect(value("neoDeviceLimit")).toBe(`(${en.leaveAsIs})`);
  });
});
