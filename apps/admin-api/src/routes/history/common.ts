/** What the history page and its CSV share: the tag, a query's filter, and the reason keys the catalogue still knows. */
import { type ReasonKey, reasonKeys } from "@tsunagi/core";
import { type HistoryFilter, historyKeptFrom } from "@tsunagi/db";
import { badRequest } from "../../errors.js";

export const tags = ["Access history"];

/**
 * The filter of a query; an extended display implies its row type and refuses the other one. The
 * period starts no earlier than the contract's retention keeps (docs/architecture.md, "History at
 * scale"): rows older than it are gone for this contract even while another contract's longer
 * retention keeps their month's partition.
 */
export function filterOf(
  q: {
    role?: "viewer" | "client";
    result: string;
    user?: string;
    from?: string;
    to?: string;
    extended?: string;
  },
  retentionMonths: number,
  now = new Date(),
): HistoryFilter {
  const implied = q.extended === "target" ? "viewer" : q.extended === "source" ? "client" : undefined;
  if (implied && q.role && q.role !== implied) {
    throw badRequest(
      "extended",
      `extended: ${q.extended} shows ${implied} rows; role=${q.role} contradicts it (omit role, or use extended=${q.extended === "target" ? "source" : "target"})`,
    );
  }
  const role = q.role ?? implied;
  return {
    ...(role ? { role } : {}),
    ...(q.result === "success" || q.result === "failure" ? { result: q.result } : {}),
    ...(q.user ? { userName: q.user } : {}),
    from: latest(q.from ? new Date(q.from) : undefined, historyKeptFrom(retentionMonths, now)),
    ...(q.to ? { to: new Date(q.to) } : {}),
  };
}

/** A stored key the catalogue no longer knows is shown without details rather than failing the page. */
export function knownKey(key: string | null): ReasonKey | null {
  return key !== null && (reasonKeys as readonly string[]).includes(key) ? (key as ReasonKey) : null;
}

function latest(a: Date | undefined, b: Date): Date {
  return a && a > b ? a : b;
}
