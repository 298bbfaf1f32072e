import { MSW_ADMIN_API, type MswState } from "@tsunagi/fixtures/msw";
import { Text } from "ink";
import { beforeEach, describe, expect, it } from "vitest";
import { createHttpPort } from "../api/client.js";
import type { UserSummary } from "../api/types.js";
import { en } from "../i18n/en.js";
import { keys, type RenderedTui, renderInSession, serveDemo, useMswServer } from "../test-utils/render.js";
import { type BatchState, useBatch } from "./use-batch.js";

useMswServer();

/** The hook in a component that draws nothing of its own; the test reads what the hook answers. */
let latest: BatchState;
let events: string[];
function Harness({ users }: { users: UserSummary[] }) {
  latest = useBatch({
    users,
    onSaved: (n) => events.push(`saved ${n}`),
    onCancel: () => events.push("cancel"),
  });
  return <Text>{latest.focus}</Text>;
}

/** The users named, as the list hands them over (GET /users). */
async function summaries(server: string, login: string, names: string[]): Promise<UserSummary[]> {
  const api = createHttpPort(MSW_ADMIN_API);
  const res = await api.login({ server, login, password: "demo-temp-1234" });
  if (!res.ok) throw new Error(res.error.message);
  const page = await api.withToken(res.value.token).users("");
  if (!page.ok) throw new Error(page.error.message);
  return page.value.users.filter((u) => names.includes(u.userName));
}

const value = (id: string) => latest.fields.find((f) => f.id === id)?.value;

let state: MswState;
async function renderHook(
  contract: "asp1" | "neo" = "asp1",
  names = ["user1", "term.ex"],
): Promise<RenderedTui> {
  const users =
    contract === "neo"
      ? await summaries("neo1", "neo.admin", ["neo.user1"])
      : await summaries("asp1", "account.admin", names);
  return renderInSession(<Harness users={users} />, { contract });
}

describe("the batch management hook", () => {
  beforeEach(() => {
    events = [];
  });

  it("leaves everything as is until set; Enter with nothing set says so, Esc cancels", async () => {
    state = serveDemo();
    const t = await renderHook();
    expect(latest.keys).toEqual([en.keyMove, en.keyToggle, `Enter ${en.update}`, en.keyBack]);
    expect(latest.fields.every((f) => !f.changed)).toBe(true);
    // A legacy contract has no neo lines.
    expect(latest.fields.map((f) => f.id)).not.toContain("neoDeviceLimit");
    await t.press(keys.enter);
    expect(latest.confirming).toBe(false);
    expect(latest.status).toEqual({ kind: "info", text: en.noChanges });
    await t.press(keys.escape);
    expect(events).toEqual(["cancel"]);
  });

  it("ticks an action on and off, cycles a setting both ways, and saves every selected user at once", async () => {
    state = serveDemo();
    const t = await renderHook();
    const versions = ["user1", "term.ex"].map((n) => state.users.get(n)?.version ?? -1);
    await t.press(" ");
    expect(value("initialisePc")).toBe("[x]");
    await t.press(keys.right);
    expect(value("initialisePc")).toBe(`(${en.leaveAsIs})`);
    for (let i = 0; i < 10 && latest.focus !== "clientUsable"; i++) await t.press(keys.down);
    await t.press(keys.right, keys.right);
    expect(value("clientUsable")).toBe(en.no);
    await t.press(keys.left);
    expect(value("clientUsable")).toBe(en.yes);
    await t.press(keys.enter);
    expect(latest.confirming).toBe(true);
    expect(latest.keys).toEqual([en.keyYesNo]);
    await t.press("n");
    expect(latest.confirming).toBe(false);
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
    const t = await renderHook("neo");
    for (let i = 0; i < 5 && latest.focus !== "neoDeviceLimit"; i++) await t.press(keys.down);
    expect(latest.focus).toBe("neoDeviceLimit");
    await t.press(" ");
    expect(value("neoDeviceLimit")).toBe(en.contractDefault);
    await t.type("150");
    expect(value("neoDeviceLimit")).toBe("150");
    await t.press(keys.up, keys.enter);
    expect(latest.focus).toBe("neoDeviceLimit");
    expect(latest.status).toEqual({ kind: "error", text: en.deviceLimitInvalid });
    await t.press(keys.backspace, keys.backspace, keys.backspace);
    expect(value("neoDeviceLimit")).toBe(`(${en.leaveAsIs})`);
  });
});
