/** Grouping: the links that let a viewer reach clients besides its own, as JSON and as CSV. */
import { z } from "@hono/zod-openapi";
import { isoTime, UserName } from "./common.js";

export const GroupLink = z.object({ viewer: UserName, client: UserName }).openapi("GroupLink");
export type GroupLink = z.infer<typeof GroupLink>;
export const GroupsResponse = z
  .object({
    links: z.array(GroupLink.extend({ createdAt: isoTime })),
    /** 1:N — each viewer and the clients it may reach besides its own. */
    byViewer: z.array(z.object({ viewer: z.string(), clients: z.array(z.string()) })),
    /** N:1 — each client and the viewers that may reach it besides its own. */
    byClient: z.array(z.object({ client: z.string(), viewers: z.array(z.string()) })),
  })
  .openapi("Groups");
export type GroupsResponse = z.infer<typeof GroupsResponse>;
export const GroupLinksBody = z
  .object({ links: z.array(GroupLink).min(1).max(10_000) })
  .openapi("GroupLinks");
export const GroupChangeResponse = z.object({ added: z.number().int(), removed: z.number().int() });
export const GroupCsvQuery = z.object({ mode: z.enum(["add", "delete"]) });
