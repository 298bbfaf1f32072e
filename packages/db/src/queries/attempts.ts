/**
 * What the relay writes around one authentication attempt beyond `recordAttempt` and the session
 * lease: the user's open sessions as the rules see them, a success row turned into a failure when its
 * session lost a race, and the peer of a paired session. The failure counter is counted atomically, in
 * handshake.ts.
 */
import type { Role } from "@tsunagi/core/domain";
import { and, eq } from "drizzle-orm";
import type { Database } from "../client.js";
import { accessHistory, activeSessions } from "../schema/index.js";
import { isLapsedSql } from "./sessions.js";

/**
 * The user's open sessions, each with whether it lapsed: stale after `staleAfterSeconds` without a
 * heartbeat, or held by a dead relay node.
 */
export function sessionsOfUser(db: Database, userId: string, staleAfterSeconds: number) {
  return db
    .select({
      id: activeSessions.id,
      role: activeSessions.role,
      lastHeartbeatAt: activeSessions.lastHeartbeatAt,
      stale: isLapsedSql(staleAfterSeconds),
    })
    .from(activeSessions)
    .where(eq(activeSessions.userId, userId));
}

/**
 * Turns an attempt recorded as a success into a failure with `reasonKey`: for a login that passed
 * every rule but lost the race for its session lease. The row ends where it started.
 */
export async function failRecordedAttempt(
  db: Database,
  historyId: number,
  reasonKey: string,
  reasonCode: number | null,
): Promise<void> {
  await db
    .update(accessHistory)
    .set({ result: "failure", reasonKey, reasonCode, endedAt: accessHistory.startedAt })
    .where(eq(accessHistory.id, historyId));
}

/** Ties a success row to the session it opened. */
export async function attachSession(db: Database, historyId: number, sessionId: string): Promise<void> {
  await db.update(accessHistory).set({ sessionId }).where(eq(accessHistory.id, historyId));
}

/**
 * Records the peer of an open session (extended display: the source viewer of a client row), on the
 * lease and on its history row.
 */
export async function setSessionPeer(db: Database, sessionId: string, peerUserName: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [session] = await tx
      .update(activeSessions)
      .set({ peerUserName })
      .where(eq(activeSessions.id, sessionId))
      .returning({ historyId: activeSessions.historyId });
    if (session) {
      await tx.update(accessHistory).set({ peerUserName }).where(eq(accessHistory.id, session.historyId));
    }
  });
}

/** The open session of a user in a role, if any (tests and admin tools). */
export async function openSessionOf(db: Database, userId: string, role: Role) {
  const [row] = await db
    .select()
    .from(activeSessions)
    .where(and(eq(activeSessions.userId, userId), eq(activeSessions.role, role)));
  return row ?? null;
}
