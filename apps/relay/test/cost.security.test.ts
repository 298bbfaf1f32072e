/**
 * Equal cost per failed outcome: an unknown user or server, a wrong password, a locked user (right or
 * wrong password) and a right password refused by a rule each cost one argon2 verification and the
 * same database statements, counted on the relay's own connection (postgres.js's debug hook), so a
 * stopwatch cannot tell them apart (`bench/outcomes.ts` measures the time).
 */
import { AuthenticationError, connectAndAuthenticate, type Program } from "@tsunagi/agent";
import { type Connection, schema } from "@tsunagi/db";
import { connectCountingStatements, useTestDatabase } from "@tsunagi/db/testing";
import { DEMO, seedDemo } from "@tsunagi/fixtures";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { silentLog } from "../src/log.js";
import { createRelay, type Relay } from "../src/server.js";
import { testConfig } from "./helpers.js";

const verifies = vi.hoisted(() => ({ count: 0 }));
vi.mock("argon2", async (importOriginal) =>
  (await import("@tsunagi/core/testing")).countingArgon2(importOriginal, verifies),
);

const t = useTestDatabase((fresh) => seedDemo(fresh.db));
let relay: Relay;
let url: string;
let relayDb: Connection;
/** Every statement the relay sends, as its text (parameters left out: the shape, not the values). */
const statements: string[] = [];

beforeAll(async () => {
  relayDb = connectCountingStatements(t.url, (text) => statements.push(text));
  relay = createRelay({
    db: relayDb.db,
    // No session lasts long enough for a heartbeat, a sweep or the node's reaper to land inside a
    // measured attempt.
    config: {
      ...testConfig,
      staleAfterSeconds: 3600,
      heartbeatIntervalMs: 60_000,
      reapIntervalMs: 3_600_000,
    },
    log: silentLog,
  });
  ({ url } = await relay.listen(0, "127.0.0.1"));
});
afterAll(async () => {
  await relay.close();
  await relayDb.close();
});

const usbNdl: Program = { role: "viewer", product: "usb-ndl", usbKeySerial: "NDL-0001-0001" };

/** One failed attempt: its statements, in order, and the argon2 verifications it cost. */
async function cost(
  user: string,
  program: Program,
  options: { password?: string; serverHost?: string } = {},
): Promise<{ statements: string[]; verifications: number }> {
  // Let anything the relay started before settle, so only this attempt is counted.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const from = statements.length;
  const verifiesBefore = verifies.count;
  const error = await connectAndAuthenticate(
    {
      server: url,
      serverHost: options.serverHost ?? DEMO.serverHost,
      user,
      password: options.password ?? DEMO.userPassword,
    },
    program,
  ).then(
    ({ ws }) => {
      ws.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(error, `${user}: the attempt should fail`).toBeInstanceOf(AuthenticationError);
  // The relay answers before its last statement may have returned: wait for it to be sent.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { statements: statements.slice(from), verifications: verifies.count - verifiesBefore };
}

describe("every failed outcome costs the same", () => {
  it("unknown user or server, wrong password, locked, refused by a rule: same statements, one verification", async () => {
    await t.db
      .update(schema.users)
      .set({ lockedUntil: new Date(Date.now() + 3_600_000), failedCount: 5 })
      .where(eq(schema.users.userName, "usb.xdl"));
    // Unmeasured: the relay's start-up work (its first sweep of stale sessions) is done after it.
    await cost("nobody.warm-up", usbNdl);
    const outcomes = {
      "wrong password": await cost("usb.ndl", usbNdl, { password: "not-the-password" }),
      "unknown user": await cost("nobody.here", usbNdl),
      "unknown server": await cost("usb.ndl", usbNdl, { serverHost: "nowhere" }),
      "locked, right password": await cost("usb.xdl", { ...usbNdl, product: "usb-xdl" }),
      "locked, wrong password": await cost(
        "usb.xdl",
        { ...usbNdl, product: "usb-xdl" },
        { password: "not-the-password" },
      ),
      "ip-not-allowed": await cost("ip.limited", { role: "client" }),
      "product-not-allowed": await cost("usb.ex", usbNdl),
      "client-not-allowed": await cost("dedicated", { role: "client" }),
    };
    const reference = outcomes["wrong password"];
    expect(reference.verifications).toBe(1);
    // Two statements, one round trip each (prepared): one before the verification, one after it.
    expect(reference.statements).toHaveLength(2);
    for (const [outcome, measured] of Object.entries(outcomes)) {
      expect({ outcome, ...measured }).toEqual({ outcome, ...reference });
    }
  });
});
