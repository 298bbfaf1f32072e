/** Minimal rows for the db package's own tests (fixtures depends on db, so it cannot be used here). */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Database } from "../src/client.js";
import {
  type AttemptPlan,
  type LeaseToOpen,
  readAttemptState,
  recordSuccessAndOpenSession,
  settleAttempt,
} from "../src/queries/index.js";
import { contracts, users } from "../src/schema/index.js";

export async function makeContract(db: Database, serverHost = `srv${randomBytes(3).toString("hex")}`) {
  const [contract] = await db
    .insert(contracts)
    .values({ contractCode: randomBytes(4).toString("hex"), name: "Test", model: "legacy", serverHost })
    .returning();
  if (!contract) throw new Error("no contract");
  return contract;
}

export async function makeUser(db: Database, contract: { id: string; serverHost: string }, userName: string) {
  const [user] = await db
    .insert(users)
    .values({
      contractId: contract.id,
      serverHost: contract.serverHost,
      userName,
      passwordHash: "$argon2id$not-a-real-hash",
      viewerProduct: "terminal-ndl-s",
    })
    .returning();
  if (!user) throw new Error("no user");
  return user;
}

/**
 * A login's success as the relay writes it (`recordSuccessAndOpenSession`): the history row and the
 * session lease of `user` in `role`, losing to a live lease with the role's duplicate reason.
 */
export function openLoginSession(
  db: Database,
  contract: { id: string },
  user: { id: string; userName: string },
  role: "viewer" | "client",
  options: { startedAt?: Date; lease?: Partial<LeaseToOpen> } = {},
) {
  const who = { contractId: contract.id, userId: user.id, userName: user.userName, role };
  return recordSuccessAndOpenSession(
    db,
    { ...who, result: "success", startedAt: options.startedAt ?? new Date() },
    { ...who, sourceAddress: null, relayInstance: "r", ...options.lease },
    role === "viewer"
      ? { reasonKey: "duplicate-viewer", reasonCode: 30100 }
      : { reasonKey: "duplicate-client", reasonCode: 30200 },
  );
}

/**
 * What the tests of statement 2 (settle.queries, lockout.queries) share, on the test database `t` (its
 * `db` read at each call): the attempts' time, a wrong password's plan and a success's as the relay
 * gives them for a client, the statement itself for a client's attempt, statement 1's fingerprint of
 * an account, and a user's failure counter.
 */
export function attemptHelpers(t: { readonly db: Database }) {
  const now = new Date("2026-11-30T00:00:00Z");
  const mismatch: AttemptPlan = {
    kind: "failure",
    reasonKey: "password-mismatch-client",
    reasonCode: 110200,
  };
  const success: AttemptPlan = {
    kind: "success",
    lease: { relayInstance: "r", peerUserName: null, accessEpoch: 0 },
    lost: { reasonKey: "duplicate-client", reasonCode: 30200 },
  };
  /** Statement 2 of an attempt by `user` (null: unknown) on the account statement 1 read as `fingerprint`. */
  const settle = (
    user: { id: string } | null,
    fingerprint: string | null,
    passwordOk: boolean,
    plan: AttemptPlan,
    at = now,
  ) =>
    settleAttempt(t.db, {
      userId: user?.id ?? null,
      fingerprint,
      passwordOk,
      now: at,
      staleAfterSeconds: 60,
      row: {
        role: "client",
        sourceAddress: "192.0.2.7",
        mac: null,
        product: null,
        edition: null,
        peerUserName: null,
      },
      lockedOut: { reasonKey: "locked-out", reasonCode: 100300 },
      plan,
    });
  const fingerprintOf = async (contract: { serverHost: string }, userName: string) =>
    (await readAttemptState(t.db, contract.serverHost, userName, 60))?.fingerprint ?? null;
  const counter = async (userId: string) => {
    const [row] = await t.db
      .select({ count: users.failedCount, lockedUntil: users.lockedUntil })
      .from(users)
      .where(eq(users.id, userId));
    return row;
  };
  return { now, mismatch, success, settle, fingerprintOf, counter };
}
