/**
 * Who is connected now, and disconnecting one: the API only marks the session
 * (disconnectRequestedAt); the relay holding its socket sees the mark on its next heartbeat and closes it.
 */
import { createRoute } from "@hono/zod-openapi";
import { ActiveSession, ActiveSessionsResponse, SessionIdParam } from "@tsunagi/api-contract/active-sessions";
import { activeSessionsOfContract, requestDisconnect } from "@tsunagi/db";
import type { ActiveSession as Row } from "@tsunagi/db/schema";
import { asDb, auditable, writeAudit } from "../audit.js";
import { router, type Services } from "../context.js";
import { authErrors, errorResponse, notFound } from "../errors.js";

const tags = ["Active sessions"];

const toSession = (s: Row) => ({
  id: s.id,
  userName: s.userName,
  role: s.role,
  sourceAddress: s.sourceAddress,
  peerUserName: s.peerUserName,
  openedAt: s.openedAt.toISOString(),
  lastHeartbeatAt: s.lastHeartbeatAt.toISOString(),
  disconnectRequestedAt: s.disconnectRequestedAt?.toISOString() ?? null,
});

export function activeSessionRoutes(services: Services) {
  const { db, clock } = services;
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/active-sessions",
        tags,
        summary: "Viewers and clients connected now",
        security: [{ bearer: [] }],
        responses: {
          200: {
            description: "The sessions",
            content: { "application/json": { schema: ActiveSessionsResponse } },
          },
          ...authErrors,
        },
      }),
      async (c) => {
        const rows = await activeSessionsOfContract(db, c.get("admin").contractId);
        return c.json({ sessions: rows.map(toSession) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/active-sessions/{id}",
        tags,
        summary: "Disconnect a session (the relay closes it shortly)",
        security: [{ bearer: [] }],
        request: { params: SessionIdParam },
        responses: {
          202: {
            description: "Disconnect requested",
            content: { "application/json": { schema: ActiveSession } },
          },
          ...authErrors,
          404: errorResponse("No such session in this contract"),
        },
      }),
      async (c) => {
        const { id } = c.req.valid("param");
        const admin = c.get("admin");
        const row = await db.transaction(async (tx) => {
          const updated = await requestDisconnect(asDb(tx), admin.contractId, id, clock());
          if (!updated) throw notFound("Session", "id");
          await writeAudit(tx, admin, {
            action: "session.disconnect",
            targetType: "session",
            targetId: updated.id,
            after: auditable({
              userName: updated.userName,
              role: updated.role,
              disconnectRequestedAt: updated.disconnectRequestedAt,
            }),
          });
          return updated;
        });
        return c.json(toSession(row), 202);
      },
    );
}
