/**
 * The admin login's counter statement on a real database: core's lockout rule (count every wrong
 * password, lock at each multiple of the threshold, never reset but by a success), decided on the row.
 */
import { afterPasswordFailure } from "@tsunagi/core/rules";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recordAdminLogin } from "../src/queries/index.js";
import { adminAccounts, contracts } from "../src/schema/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract } from "./helpers.js";

const t = useTestDatabase();

async function makeAdmin(threshold: number) {
  const contract = await makeContract(t.db);
  await t.db
    .update(contracts)
    .set({ lockoutThreshold: threshold, lockoutSeconds: 60 })
    .where(eq(contracts.id, contract.id));
  await t.db.insert(adminAccounts).values({
    contractId: contract.id,
    serverHost: contract.serverHost,
    loginName: "admin",
    passwordHash: "hash-1",
  });
  return contract.serverHost;
}

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 20, 9, 0, seconds));

describe("recordAdminLogin", () => {
  it("follows core's afterPasswordFailure step by step, and only an unlocked right password admits", async () => {
    const serverHost = await makeAdmin(3);
    const base = { serverHost, loginName: "admin", counted: true, verifiedHash: "hash-1" };
    let expected = { count: 0, lockedUntil: null as Date | null };
    for (let i = 1; i <= 7; i++) {
      const outcome = await recordAdminLogin(t.db, { ...base, passwordOk: false, now: at(i) });
      expected = afterPasswordFailure(expected, { threshold: 3, durationSeconds: 60 }, at(i));
      const [row] = await t.db.select().from(adminAccounts).where(eq(adminAccounts.serverHost, serverHost));
      expect({ count: row?.failedCount, lockedUntil: row?.lockedUntil }).toEqual(expected);
      expect(outcome).toEqual({ failedCount: i, locked: i >= 3, admitted: false });
    }
    // Locked (since the 6th failure, until 66 s): the right password changes nothing and is refused.
    expect(await recordAdminLogin(t.db, { ...base, passwordOk: true, now: at(30) })).toEqual({
      failedCount: 7,
      locked: true,
      admitted: false,
    });
    // A password changed since the hash was read admits nobody.
    expect(
      await recordAdminLogin(t.db, { ...base, verifiedHash: "hash-0", passwordOk: true, now: at(70) }),
    ).toMatchObject({ admitted: false });
    expect(await recordAdminLogin(t.db, { ...base, passwordOk: true, now: at(70) })).toEqual({
      failedCount: 0,
      locked: false,
      admitted: true,
    });
  });

  it("matches no row for an unknown admin, or for an attempt that is not counted", async () => {
    const serverHost = await makeAdmin(1);
    const attempt = { loginName: "admin", passwordOk: false, verifiedHash: "x", now: at(0) };
    expect(await recordAdminLogin(t.db, { ...attempt, serverHost: "nowhere", counted: true })).toBeNull();
    expect(await recordAdminLogin(t.db, { ...attempt, serverHost, counted: false })).toBeNull();
    const [row] = await t.db.select().from(adminAccounts).where(eq(adminAccounts.serverHost, serverHost));
    expect(row?.failedCount).toBe(0);
  });
});
