/**
 * Changes to the grouping: a set of viewer → client links added or removed in one transaction, whole
 * or not at all. Removing a link ends the linked viewer's live session (the clients it may reach were
 * fixed at its login).
 */
import {
  addGroupLinks,
  advanceAccessEpoch,
  liveSessionsOf,
  removeGroupLink,
  requestSessionEnd,
  userIdsByName,
} from "@tsunagi/db";
import { asDb, writeAudit } from "../audit.js";
import type { AdminContext, Services } from "../context.js";
import { badRequest } from "../errors.js";

export type Link = { viewer: string; client: string };

/**
 * Adds or removes a set of links in one transaction. Every name must be a user of the admin's
 * contract; `fieldOf(i, side)` names the offending entry (a body path or a CSV line).
 */
export async function changeLinks(
  services: Pick<Services, "db" | "clock">,
  admin: AdminContext,
  mode: "add" | "delete",
  set: Link[],
  fieldOf: (i: number, side: "viewer" | "client") => string,
) {
  const { db, clock } = services;
  const names = [...new Set(set.flatMap((l) => [l.viewer, l.client]))];
  const found = await userIdsByName(db, admin.contractId, names);
  const idOf = new Map(found.map((u) => [u.userName, u.id]));
  const pairs = set.map((link, i) => {
    for (const side of ["viewer", "client"] as const) {
      if (!idOf.has(link[side])) {
        throw badRequest(fieldOf(i, side), `${fieldOf(i, side)}: no user ${link[side]} in this contract`);
      }
    }
    if (link.viewer === link.client) {
      throw badRequest(
        fieldOf(i, "client"),
        `${fieldOf(i, "client")}: a viewer reaches its own user name's client without a link`,
      );
    }
    return { viewerUserId: idOf.get(link.viewer) as string, clientUserId: idOf.get(link.client) as string };
  });
  return db.transaction(async (tx) => {
    let count = 0;
    let sessionsEnded = 0;
    if (mode === "add") {
      count = await addGroupLinks(asDb(tx), admin.contractId, pairs);
    } else {
      const unlinked = new Set<string>();
      for (const p of pairs) {
        const removed = await removeGroupLink(asDb(tx), admin.contractId, p);
        count += removed;
        if (removed > 0) unlinked.add(p.viewerUserId);
      }
      // In this transaction: the relays see the end requests only if the removal commits.
      const live = await liveSessionsOf(asDb(tx), admin.contractId, [...unlinked]);
      sessionsEnded = await requestSessionEnd(
        asDb(tx),
        admin.contractId,
        live.filter((session) => session.role === "viewer").map((session) => session.id),
        clock(),
      );
      // A viewer whose login read its links before this removal and opens its lease after `live`
      // was read ends at its first heartbeat; the unlinked users' clients keep their access.
      await advanceAccessEpoch(
        asDb(tx),
        admin.contractId,
        [...unlinked],
        live.filter((session) => session.role === "client").map((session) => session.id),
      );
    }
    await writeAudit(tx, admin, {
      action: mode === "add" ? "group.add" : "group.delete",
      targetType: "group-links",
      before: mode === "delete" ? set : null,
      after: mode === "add" ? set : { sessionsEnded },
    });
    return { added: mode === "add" ? count : 0, removed: mode === "delete" ? count : 0 };
  });
}
