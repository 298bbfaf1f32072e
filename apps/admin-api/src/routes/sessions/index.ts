/**
 * Admin sessions: log in (login.ts); who am I and log out (current.ts); change password (password.ts),
 * required first when the password is the temporary one from the account sheet. The login and the
 * password change share one set of guards (`src/sessions/guards.ts`): the rate limits and the hash queue.
 */
import { router, type Services } from "../../context.js";
import { loginGuards } from "../../sessions/guards.js";
import { currentSession } from "./current.js";
import { login } from "./login.js";
import { changeOwnPassword } from "./password.js";

export function sessionRoutes(services: Services) {
  const guards = loginGuards(services);
  return router()
    .route("/", login(services, guards))
    .route("/", currentSession(services))
    .route("/", changeOwnPassword(services, guards));
}
