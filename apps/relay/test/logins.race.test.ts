/** Races the database must settle: many logins for one user name, many new devices for one empty slot. */
import { AuthenticationError, startViewer } from "@tsunagi/agent";
import { schema } from "@tsunagi/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { agentBase, historyOf, identityPath, userId, useStack } from "./helpers.js";

const stack = useStack();

const listen = { host: "127.0.0.1", port: 0 };

describe("races", () => {
  it("50 simultaneous viewers for one user: exactly one session, 49 rows of 30100", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        startViewer({
          ...agentBase(stack.url, "finger.ndl"),
          product: "fingerprint-ndl",
          usbKeySerial: "FNDL-0004-0001",
          listen,
        }),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(49);
    for (const r of lost) {
      expect(r.reason).toBeInstanceOf(AuthenticationError);
      expect((r.reason as AuthenticationError).referenceCode).toBe(291);
    }
    const sessions = await stack.t.db
      .select()
      .from(schema.activeSessions)
      .where(eq(schema.activeSessions.userName, "finger.ndl"));
    expect(sessions).toHaveLength(1);
    const rows = await historyOf(stack.t, "finger.ndl");
    expect(rows.filter((r) => r.result === "success")).toHaveLength(1);
    expect(rows.filter((r) => r.reasonCode === 30100)).toHaveLength(49);
    expect(rows).toHaveLength(50);
    for (const r of won) await r.value.close();
  });

  it("10 new devices at once into one empty slot: exactly one registers", async () => {
    const files = await Promise.all(Array.from({ length: 10 }, () => identityPath()));
    const results = await Promise.allSettled(
      files.map((file, i) =>
        startViewer({
          ...agentBase(stack.url, "term.xdl"),
          product: "terminal-xdl-s",
          identityFile: file,
          machineId: `racing-machine-${i}`,
          listen,
        }),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    const registrations = await stack.t.db
      .select()
      .from(schema.deviceRegistrations)
      .where(eq(schema.deviceRegistrations.userId, await userId(stack.t, "term.xdl")));
    expect(registrations).toHaveLength(1);
    expect(registrations[0]?.installPublicKey).toBe(won[0]?.value.identity?.identity.installPublicKey);
    const rows = await historyOf(stack.t, "term.xdl");
    expect(rows.filter((r) => r.reasonCode === 200200)).toHaveLength(1);
    expect(rows.filter((r) => r.result === "success")).toHaveLength(1);
    // Every loser is told it isn't the registered device (another machine), none that it registered.
    expect(rows.filter((r) => r.reasonCode === 170400)).toHaveLength(9);
    for (const r of won) await r.value.close();
  });
});
