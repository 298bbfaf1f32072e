/** The admin API's grouping statements: a contract's viewer → client links, read, added and removed. */
import { and, eq, inArray } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Database } from "../client.js";
import { groupLinks, users } from "../schema/index.js";

const viewerUser = alias(users, "viewer_user");
const clientUser = alias(users, "client_user");

/** A link between two users of a contract, by their ids. */
export interface LinkPair {
  viewerUserId: string;
  clientUserId: string;
}

/** Every link of a contract by user name, ordered by viewer then client. */
export function groupLinksOf(db: Database, contractId: string) {
  return db
    .select({ viewer: viewerUser.userName, client: clientUser.userName, createdAt: groupLinks.createdAt })
    .from(groupLinks)
    .innerJoin(viewerUser, eq(viewerUser.id, groupLinks.viewerUserId))
    .innerJoin(clientUser, eq(clientUser.id, groupLinks.clientUserId))
    .where(eq(groupLinks.contractId, contractId))
    .orderBy(viewerUser.userName, clientUser.userName);
}

/** The ids of the users of `contractId` among `userNames`; names of other contracts are not found. */
export function userIdsByName(db: Database, contractId: string, userNames: string[]) {
  return db
    .select({ id: users.id, userName: users.userName })
    .from(users)
    .where(and(eq(users.contractId, contractId), inArray(users.userName, userNames)));
}

/** Adds links, keeping those that exist; returns how many were new. */
export async function addGroupLinks(db: Database, contractId: string, pairs: LinkPair[]): Promise<number> {
  const inserted = await db
    .insert(groupLinks)
    .values(pairs.map((p) => ({ ...p, contractId })))
    .onConflictDoNothing()
    .returning({ v: groupLinks.viewerUserId });
  return inserted.length;
}

/** Removes one link of `contractId`; returns how many rows went (0 when there was none). */
export async function removeGroupLink(db: Database, contractId: string, pair: LinkPair): Promise<number> {
  const removed = await db
    .delete(groupLinks)
    .where(
      and(
        eq(groupLinks.contractId, contractId),
        eq(groupLinks.viewerUserId, pair.viewerUserId),
        eq(groupLinks.clientUserId, pair.clientUserId),
      ),
    )
    .returning({ v: groupLinks.viewerUserId });
  return removed.length;
}
