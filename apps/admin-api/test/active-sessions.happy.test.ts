/** Active sessions: who is connected, and the account manager's request that the relay disconnect one. */
import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, expectStatus, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

describe("active sessions", () => {
  it("lists who is connected and asks the relay to disconnect one", async () => {
    // user1 of the admin's own server: another contract has a user1 too.
    const [user1] = await h.t.db
      .select()
      .from(schema.users)
      .where(and(eq(schema.users.userName, "user1"), eq(schema.users.serverHost, DEMO.serverHost)));
    const [session] = await h.t.db
      .insert(schema.activeSessions)
      .values({
        contractId: user1?.contractId ?? "",
        userId: user1?.id ?? "",
        userName: "user1",
        role: "viewer",
        relayInstance: "r1",
        historyId: 1,
        sourceAddress: "203.0.113.25",
      })
      .returning();
    const list = await call(h.app, "GET", "/active-sessions", { token: h.token });
    expectStatus(list, 200);
    expect(list.json.sessions).toMatchObject([
      { userName: "user1", role: "viewer", disconnectRequestedAt: null },
    ]);
    const res = await call(h.app, "DELETE", `/active-sessions/${session?.id}`, { token: h.token });
    expectStatus(res, 202);
    expect(res.json.disconnectRequestedAt).toBe(h.clock.now.toISOString());
    const [row] = await h.t.db
      .select()
      .from(schema.activeSessions)
      .where(eq(schema.activeSessions.id, session?.id ?? ""));
    expect(row?.disconnectRequestedAt?.toISOString()).toBe(h.clock.now.toISOString());
    const unknown = await call(h.app, "DELETE", "/active-sessions/00000000-0000-4000-8000-000000000000", {
      token: h.token,
    });
    expectStatus(unknown, 404);
  });
});
