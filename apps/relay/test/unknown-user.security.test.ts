/**
 * An unknown server or user name must look and cost the same as a wrong password: the same reference
 * code, one argon2 verification each (counted, not timed, since timing flakes on a loaded machine),
 * and, for the unknown name, no history row, since the attempt can't be tied to a contract.
 */
import { AuthenticationError, startViewer } from "@tsunagi/agent";
import { sql } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { agentBase, identityPath, useStack } from "./helpers.js";

const verifies = vi.hoisted(() => ({ count: 0 }));
vi.mock("argon2", async (importOriginal) =>
  (await import("@tsunagi/core/testing")).countingArgon2(importOriginal, verifies),
);

const stack = useStack();

async function historyCount(): Promise<number> {
  const [row] = (await stack.t.db.execute(
    sql`select count(*)::int as count from access_history`,
  )) as unknown as [{ count: number }];
  return row.count;
}

/** One viewer login: what the person is told, the verifications it cost, the history rows it added. */
async function attempt(user: string, options: { serverHost?: string; password?: string } = {}) {
  const rowsBefore = await historyCount();
  const verifiesBefore = verifies.count;
  const error = await startViewer({
    ...agentBase(stack.url, user, options.password),
    ...(options.serverHost ? { serverHost: options.serverHost } : {}),
    product: "terminal-ndl-s",
    identityFile: await identityPath(),
    listen: { host: "127.0.0.1", port: 0 },
  }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  return {
    told: (error as AuthenticationError).message,
    verifications: verifies.count - verifiesBefore,
    rows: (await historyCount()) - rowsBefore,
  };
}

describe("unknown server or user name", () => {
  it("is told 293 like a wrong password, spends one verification like it, and records no row", async () => {
    const wrongPassword = await attempt("user1", { password: "not-the-password" });
    const unknownUser = await attempt("nobody.here");
    const unknownServer = await attempt("user1", { serverHost: "nowhere" });

    expect(wrongPassword).toEqual({
      told: "Authentication error (reference code 293)",
      verifications: 1,
      rows: 1,
    });
    expect(unknownUser).toEqual({ told: wrongPassword.told, verifications: 1, rows: 0 });
    expect(unknownServer).toEqual({ told: wrongPassword.told, verifications: 1, rows: 0 });
  });
});
