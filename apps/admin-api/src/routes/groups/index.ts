/**
 * Grouping: explicit viewer → client links beyond the standard connection (same user name), listed
 * both ways (list.ts), added and removed in sets (links.ts), exported and imported as CSV (csv.ts).
 * The change they share is `src/groups/change.ts`.
 */
import { router, type Services } from "../../context.js";
import { groupCsvRoutes } from "./csv.js";
import { linkRoutes } from "./links.js";
import { listGroups } from "./list.js";

export function groupRoutes(services: Services) {
  return router()
    .route("/", listGroups(services))
    .route("/", linkRoutes(services))
    .route("/", groupCsvRoutes(services));
}
