/**
 * A login racing an account manager's change that takes access away: the change must win. Here the
 * user's password is changed while the login's verification (against the old hash) is in flight.
 */
import { AuthenticationError, startViewer } from "@tsunagi/agent";
import { hashSecret } from "@tsunagi/core/password";
import { reasonEntry } from "@tsunagi/core/reasons";
import { schema } from "@tsunagi/db";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { agentBase, historyOf, useStack } from "./helpers.js";

const verifies = vi.hoisted(() => ({
  count: 0,
  beforeVerify: undefined as (() => Promise<void>) | undefined,
}));
vi.mock("argon2", async (importOriginal) =>
  (await import("@tsunagi/core/testing")).countingArgon2(importOriginal, verifies),
);

const stack = useStack();

describe("a password changed while a login's verification is in flight", () => {
  it("refuses the old password (110200), opens no session", async () => {
    const newHash = await hashSecret("a-brand-new-password");
    verifies.beforeVerify = async () => {
      verifies.beforeVerify = undefined;
      // What PUT /users/{userName}/password commits: the hash, and the epoch it advances.
      await stack.t.db
        .update(schema.users)
        .set({ passwordHash: newHash, accessEpoch: sql`${schema.users.accessEpoch} + 1` })
        .where(eq(schema.users.userName, "usb.xdl"));
    };
    const login = startViewer({
      ...agentBase(stack.url, "usb.xdl"),
      product: "usb-xdl",
      usbKeySerial: "XDL-0002-0001",
      listen: { host: "127.0.0.1", port: 0 },
    });
    await expect(login).rejects.toBeInstanceOf(AuthenticationError);
    const rows = await historyOf(stack.t, "usb.xdl");
    expect(rows.at(-1)).toMatchObject({
      result: "failure",
      reasonCode: reasonEntry("password-mismatch-viewer").code,
    });
    const sessions = await stack.t.db
      .select()
      .from(schema.activeSessions)
      .where(eq(schema.activeSessions.userName, "usb.xdl"));
    expect(sessions).toHaveLength(0);
  });
});
