import { beforeEach, describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import { keys, renderHook, serveDemo, useMswServer } from "../test-utils/render.js";
import { useActiveSessions } from "./use-active-sessions.js";

useMswServer();

describe("the active sessions hook", () => {
  let state: ReturnType<typeof serveDemo>;
  let events: string[];
  beforeEach(() => {
    state = serveDemo();
    events = [];
  });

  const render = async () => {
    const t = await renderHook(() => useActiveSessions({ onBack: () => events.push("back") }));
    await t.waitUntil(() => t.result.current.sessions !== null);
    return t;
  };

  it("asks before disconnecting, sends it on y, and won't ask again for a session already asked to close", async () => {
    const t = await render();
    const { result } = t;
    expect(result.current.keys).toEqual([en.keyMove, en.keyDisconnect, en.keyRefresh, en.keyBack]);
    await t.press(keys.down);
    const user1 = result.current.current;
    expect(user1?.userName).toBe("user1");
    await t.press("d");
    expect(result.current.confirming).toBe(true);
    expect(result.current.keys).toEqual([en.keyYesNo]);
    await t.press("n");
    expect(result.current.confirming).toBe(false);
    await t.press("d", "y");
    await t.waitUntil(() => result.current.current?.disconnectRequestedAt != null);
    expect(result.current.status).toEqual({
      kind: "success",
      text: en.disconnectRequested("user1 (Viewer)"),
    });
    expect(state.requests.at(-1)).toMatchObject({ method: "DELETE", path: `/active-sessions/${user1?.id}` });
    await t.press("d");
    expect(result.current.confirming).toBe(false);
    await t.press(keys.escape);
    expect(events).toEqual(["back"]);
  });

  it("r reloads the list and clears the status", async () => {
    const t = await render();
    const { result } = t;
    await t.press(keys.down, "d", "y");
    await t.waitUntil(() => result.current.status?.kind === "success");
    state.activeSessions = state.activeSessions.filter((s) => s.userName !== "user1");
    await t.press("r");
    expect(result.current.status).toBeNull();
    await t.waitUntil(() => result.current.sessions?.length === state.activeSessions.length);
    // The selection stays within the shorter list.
    expect(result.current.selected).toBe(Math.min(1, state.activeSessions.length - 1));
  });
});
