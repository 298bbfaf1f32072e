/** Access history: the filter, the page grouped by user, and the CSV download's query. */
import { z } from "@hono/zod-openapi";
import { Edition, Role } from "@tsunagi/core/domain";
import { Lang } from "@tsunagi/core/reasons";
import { cursor, isoTime, limit, UserName } from "./common.js";
import { Reason } from "./reasons.js";

/**
 * Extended display (docs/domain.md, "The access history"): `target` lists viewer rows, each with the
 * client it reached; `source` lists client rows, each with the viewer that reached it. (ours) It
 * implies the type filter, so a contradicting `role` is refused.
 */
export const Extended = z.enum(["target", "source"]);
export type Extended = z.infer<typeof Extended>;
const extendedDoc =
  "extended display: `target` = viewer rows, each with its target client (`targetClient`); `source` = client rows, each with its source viewer (`sourceViewer`). Implies role; a contradicting role is a 400.";

export const HistoryQuery = z.object({
  role: Role.optional().openapi({ description: "viewer only / client only; omitted: both" }),
  result: z.enum(["success", "failure", "all"]).default("all"),
  user: UserName.optional(),
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "start time, inclusive" }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "start time, exclusive" }),
  lang: Lang.default("en"),
  extended: Extended.optional().openapi({ description: extendedDoc }),
  limit: limit(500, 100),
  cursor,
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryRow = z
  .object({
    id: z.number().int(),
    userName: z.string(),
    role: Role,
    startedAt: isoTime,
    /** A failed attempt ends when it starts; an open session has no end yet. */
    endedAt: isoTime.nullable(),
    durationSeconds: z.number().int().nullable(),
    sourceAddress: z.string().nullable(),
    mac: z.string().nullable(),
    result: z.enum(["success", "failure", "info"]),
    // A union, not `.nullable()`: on a named schema zod-openapi writes `allOf: [$ref, {type: [object, null]}]`,
    // which no null satisfies.
    reason: z.union([Reason, z.null()]),
    product: z.string().nullable(),
    edition: Edition.nullable(),
    /** Extended display: the target client of a viewer row, the source viewer of a client row. */
    peerUserName: z.string().nullable(),
    /** Extended display `target` only: the client this viewer row reached (null if it reached none). */
    targetClient: z.string().nullable().optional(),
    /** Extended display `source` only: the viewer that reached this client row (null if none). */
    sourceViewer: z.string().nullable().optional(),
  })
  .openapi("HistoryRow");
export type HistoryRow = z.infer<typeof HistoryRow>;

export const HistoryPage = z
  .object({
    /** Blocks per user in order of first appearance, each headed with the cumulative connection time. */
    groups: z.array(
      z.object({
        userName: z.string(),
        /** Over the whole filter (all pages), successes only. */
        connectedSeconds: z.number().int(),
        rows: z.array(HistoryRow),
      }),
    ),
    nextCursor: z.string().nullable(),
    /** The extended display these rows carry, if any. */
    extended: Extended.nullable(),
  })
  .openapi("HistoryPage");
export type HistoryPage = z.infer<typeof HistoryPage>;

export const HistoryCsvQuery = HistoryQuery.omit({ limit: true, cursor: true, extended: true }).extend({
  encoding: z.enum(["utf-8", "shift_jis"]).default("utf-8"),
  extended: z
    .enum(["target", "source", "true", "false", "1", "0"])
    .optional()
    .openapi({
      description: `${extendedDoc} Adds the column "Target client" or "Source viewer". \`true\`/\`1\`: rows of both types with one peer column.`,
    }),
});
