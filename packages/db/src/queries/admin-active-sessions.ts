/** The admin API's view of the session leases: who is connected now, and asking a relay to end one. */
import { and, asc, eq } from "drizzle-orm";
import type { Database } from "../client.js";
import { type ActiveSession, activeSessions } from "../schema/index.js";

/** A contract's live sessions by user name, then role. */
export function activeSessionsOfContract(db: Database, contractId: string): Promise<ActiveSession[]> {
  return db
    .select()
    .from(activeSessions)
    .where(eq(activeSessions.contractId, contractId))
    .orderBy(asc(activeSessions.userName), asc(activeSessions.role));
}

/**
 * Marks a session of `contractId` for disconnection; the relay holding its socket closes it at its
 * next heartbeat. Undefined when the contract has no such session.
 */
export async function requestDisconnect(
  db: Database,
  contractId: string,
  sessionId: string,
  now: Date,
): Promise<ActiveSession | undefined> {
  const [updated] = await db
    .update(activeSessions)
    .set({ disconnectRequestedAt: now })
    .where(and(eq(activeSessions.id, sessionId), eq(activeSessions.contractId, contractId)))
    .returning();
  return updated;
}
