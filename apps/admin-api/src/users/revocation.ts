/**
 * Which live sessions a change to a user takes access away from, judged as the relay judges an
 * attempt (core's rules), and whether a change can take any away at all.
 */
import type { UserChange } from "@tsunagi/api-contract/users";
import {
  addressAllowed,
  type Model,
  macAllowed,
  permissionsOf,
  productAllowed,
  type SlotKind,
  slotOf,
} from "@tsunagi/core";
import type { LiveSession } from "@tsunagi/db";
import type { User } from "./detail.js";

/** Whether a change touched what decides who may connect as what (the user type included). */
const permissionsChanged = (before: User, after: User) =>
  before.userType !== after.userType ||
  JSON.stringify(permissionsOf(before)) !== JSON.stringify(permissionsOf(after));

/** Whether an allow-list changed; lists are compared as the admin set them (order included). */
const listChanged = (a: readonly string[] | null, b: readonly string[] | null) =>
  JSON.stringify(a) !== JSON.stringify(b);

/**
 * Whether a change takes away what a live session was admitted with, judged as the relay judges an
 * attempt (core's rules): a new password ends every session of the user; an initialised slot ends the
 * viewer whose product registers through it; a changed IP or MAC list ends the sessions of its role
 * that the new list would refuse (the lease keeps the address the relay checked, the history row the
 * MAC the agent reported), so a list that still admits a session leaves it be. MAC lists are a legacy
 * rule; neo never checks them. Changed permissions end a viewer whose product they no longer allow,
 * and a client when clients are no longer usable (or the account became device-dedicated).
 */
export function revokes(
  session: LiveSession,
  model: Model,
  before: User,
  after: User,
  passwordChanged: boolean,
  initialised: readonly SlotKind[],
): boolean {
  if (passwordChanged) return true;
  if (session.role === "viewer" && session.product !== null) {
    const slot = slotOf(session.product);
    if (slot !== null && initialised.includes(slot)) return true;
    if (permissionsChanged(before, after) && !productAllowed(session.product, permissionsOf(after)))
      return true;
  }
  if (
    session.role === "client" &&
    permissionsChanged(before, after) &&
    (after.userType === "device-dedicated" || !after.clientUsable)
  ) {
    return true;
  }
  const viewer = session.role === "viewer";
  const ipList = viewer ? after.ipAllowViewer : after.ipAllowClient;
  if (
    listChanged(viewer ? before.ipAllowViewer : before.ipAllowClient, ipList) &&
    ipList !== null &&
    !addressAllowed(session.sourceAddress ?? "", ipList)
  ) {
    return true;
  }
  const macList = viewer ? after.macAllowViewer : after.macAllowClient;
  return (
    model === "legacy" &&
    listChanged(viewer ? before.macAllowViewer : before.macAllowClient, macList) &&
    macList !== null &&
    !macAllowed(session.mac ?? undefined, macList)
  );
}

/** Whether a change touches what the rules admit sessions on (see `revokes`); a memo edit does not. */
export function mayTakeAccessAway(
  change: UserChange,
  passwordChanged: boolean,
  initialised: readonly SlotKind[],
) {
  return (
    passwordChanged ||
    initialised.length > 0 ||
    change.userType !== undefined ||
    change.permissions !== undefined ||
    change.restrictions !== undefined
  );
}
