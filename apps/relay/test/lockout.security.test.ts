/**
 * The relay's lockout under attack: parallel wrong passwords are each counted (the counter is bumped
 * in the database, not written back from a snapshot), the user ends locked, and a lock ends the user's
 * live sessions at their next heartbeat.
 */
import { createServer } from "node:net";
import { AuthenticationError, RelayCloseCode, startClient, startViewer } from "@tsunagi/agent";
import { reasonEntry } from "@tsunagi/core/reasons";
import { schema } from "@tsunagi/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentBase, eventually, historyOf, useStack } from "./helpers.js";

// Rate limits are loosened by the test config; the lockout alone stands between guesses.
const stack = useStack();

const listen = { host: "127.0.0.1", port: 0 };
const PASSWORD_MISMATCH = reasonEntry("password-mismatch-viewer").code;
const LOCKED_OUT = reasonEntry("locked-out").code;

function usbViewer(user: string, serial: string, password?: string) {
  return startViewer({
    ...agentBase(stack.url, user, password),
    product: "usb-ndl",
    usbKeySerial: serial,
    listen,
  });
}

async function counterOf(userName: string) {
  const [row] = await stack.t.db
    .select({ failedCount: schema.users.failedCount, lockedUntil: schema.users.lockedUntil })
    .from(schema.users)
    .where(eq(schema.users.userName, userName));
  return row;
}

describe("lockout on the relay", () => {
  it("50 parallel wrong passwords: 50 failures counted, the user locked, then the right password refused", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => usbViewer("usb.ndl", "NDL-0001-0001", "not-the-password")),
    );
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AuthenticationError);
    }
    const counter = await counterOf("usb.ndl");
    expect(counter?.failedCount).toBe(50);
    expect(counter?.lockedUntil?.getTime()).toBeGreaterThan(Date.now());
    const rows = await historyOf(stack.t, "usb.ndl");
    expect(rows).toHaveLength(50);
    for (const row of rows) expect([PASSWORD_MISMATCH, LOCKED_OUT]).toContain(row.reasonCode);

    await expect(usbViewer("usb.ndl", "NDL-0001-0001")).rejects.toBeInstanceOf(AuthenticationError);
    const after = await historyOf(stack.t, "usb.ndl");
    expect(after).toHaveLength(51);
    expect(after.at(-1)?.reasonCode).toBe(LOCKED_OUT);
    expect((await counterOf("usb.ndl"))?.failedCount).toBe(50);
  });

  it("a lock ends the user's live session at its next heartbeat, and its history row gets its end time", async () => {
    const fingerprintViewer = (password?: string) =>
      startViewer({
        ...agentBase(stack.url, "finger.ndl", password),
        product: "fingerprint-ndl",
        usbKeySerial: "FNDL-0004-0001",
        listen,
      });
    const viewer = await fingerprintViewer();
    let ended: { code: number } | undefined;
    void viewer.closed.then((end) => {
      ended = end;
    });
    // The demo contract locks at 5 failures.
    for (let i = 0; i < 5; i++) {
      await expect(fingerprintViewer("not-the-password")).rejects.toBeInstanceOf(AuthenticationError);
    }
    await eventually(() => ended !== undefined);
    expect(ended?.code).toBe(RelayCloseCode.disconnectedByAdmin);
    await eventually(async () => {
      const rows = await historyOf(stack.t, "finger.ndl");
      const success = rows.find((r) => r.result === "success");
      return success?.endedAt != null;
    });
    const sessions = await stack.t.db
      .select()
      .from(schema.activeSessions)
      .where(eq(schema.activeSessions.userName, "finger.ndl"));
    expect(sessions).toHaveLength(0);
  });

  it("wrong passwords from outside the user's IP allow-list are recorded but not counted: no lock, the live session stays", async () => {
    // The attacker (this test, on 127.0.0.1) is outside the viewer list; the user's client is connected.
    await stack.t.db
      .update(schema.users)
      .set({ ipAllowViewer: ["203.0.113.0/24"] })
      .where(eq(schema.users.userName, "usb.ex"));
    const sink = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
    const port = (sink.address() as { port: number }).port;
    const client = startClient({
      ...agentBase(stack.url, "usb.ex"),
      forward: { host: "127.0.0.1", port },
      reconnect: false,
    });
    try {
      await client.ready;
      let ended = false;
      void client.stopped.then(() => {
        ended = true;
      });
      for (let i = 0; i < 6; i++) {
        await expect(usbViewer("usb.ex", "EX-0003-0001", "not-the-password")).rejects.toBeInstanceOf(
          AuthenticationError,
        );
      }
      const rows = (await historyOf(stack.t, "usb.ex")).filter((r) => r.role === "viewer");
      expect(rows.map((r) => r.reasonCode)).toEqual(Array(6).fill(PASSWORD_MISMATCH));
      expect(await counterOf("usb.ex")).toEqual({ failedCount: 0, lockedUntil: null });
      // Several heartbeats (300 ms in the test config) later, the client is still connected.
      const [lease] = await stack.t.db
        .select({ at: schema.activeSessions.lastHeartbeatAt })
        .from(schema.activeSessions)
        .where(eq(schema.activeSessions.userName, "usb.ex"));
      const since = lease?.at.getTime() ?? 0;
      await eventually(async () => {
        const [now] = await stack.t.db
          .select({ at: schema.activeSessions.lastHeartbeatAt })
          .from(schema.activeSessions)
          .where(eq(schema.activeSessions.userName, "usb.ex"));
        return (now?.at.getTime() ?? 0) > since + 600;
      });
      expect(ended).toBe(false);
    } finally {
      await client.stop();
      sink.close();
    }
  });
});
