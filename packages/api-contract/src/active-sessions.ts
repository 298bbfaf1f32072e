/** Active sessions: the viewers and clients connected now, and the request to disconnect one. */
import { z } from "@hono/zod-openapi";
import { Role } from "@tsunagi/core/domain";
import { isoTime } from "./common.js";

export const ActiveSession = z
  .object({
    id: z.string(),
    userName: z.string(),
    role: Role,
    sourceAddress: z.string().nullable(),
    peerUserName: z.string().nullable(),
    openedAt: isoTime,
    lastHeartbeatAt: isoTime,
    /** Set once an admin asked to disconnect; the relay closes the session shortly after. */
    disconnectRequestedAt: isoTime.nullable(),
  })
  .openapi("ActiveSession");
export type ActiveSession = z.infer<typeof ActiveSession>;
export const ActiveSessionsResponse = z
  .object({ sessions: z.array(ActiveSession) })
  .openapi("ActiveSessions");
export type ActiveSessionsResponse = z.infer<typeof ActiveSessionsResponse>;
export const SessionIdParam = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});
