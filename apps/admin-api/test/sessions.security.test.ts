/**
 * Login timing: an unknown admin must cost what a wrong password costs. Asserted by counting argon2
 * verifications (one per attempt on every path), not by timing, which flakes on a loaded machine.
 */
import { DEMO } from "@tsunagi/fixtures";
import { describe, expect, it, vi } from "vitest";
import { login, useHarness } from "./helpers.js";

const verifies = vi.hoisted(() => ({ count: 0 }));
vi.mock("argon2", async (importOriginal) =>
  (await import("@tsunagi/core/testing")).countingArgon2(importOriginal, verifies),
);

const h = useHarness();

async function verificationsFor(attempt: () => Promise<unknown>) {
  const before = verifies.count;
  await attempt();
  return verifies.count - before;
}

describe("login timing", () => {
  it("spends exactly one argon2 verification for an unknown admin, an unknown server and a wrong password", async () => {
    const unknownAdmin = await verificationsFor(() => login(h.app, "asp1", "no.such.admin", "some-password"));
    const unknownServer = await verificationsFor(() =>
      login(h.app, "nowhere", DEMO.adminLogin, "some-password"),
    );
    const wrongPassword = await verificationsFor(() =>
      login(h.app, "asp1", DEMO.adminLogin, "some-password"),
    );
    const right = await verificationsFor(() =>
      login(h.app, "asp1", DEMO.adminLogin, DEMO.adminTemporaryPassword),
    );
    expect([unknownAdmin, unknownServer, wrongPassword, right]).toEqual([1, 1, 1, 1]);
  });
});
