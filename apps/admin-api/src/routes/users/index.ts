/**
 * User management: list with search and keyset paging, details with the terminal-auth slots, and
 * changes to one user (個別管理) or many at once (一括管理), one file per action. The change logic
 * they share is in `src/users/` (change.ts, revocation.ts, detail.ts).
 */
import { router, type Services } from "../../context.js";
import { batchChangeUsers } from "./batch.js";
import { getUser } from "./get.js";
import { listUsers } from "./list.js";
import { setUserPassword } from "./password.js";
import { initialiseUserSlot } from "./slots.js";
import { unlockUser } from "./unlock.js";
import { patchUser } from "./update.js";

export function userRoutes(services: Services) {
  return router()
    .route("/", listUsers(services))
    .route("/", batchChangeUsers(services))
    .route("/", getUser(services))
    .route("/", patchUser(services))
    .route("/", initialiseUserSlot(services))
    .route("/", unlockUser(services))
    .route("/", setUserPassword(services));
}
