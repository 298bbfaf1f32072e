/**
 * Edit one user (docs/domain.md, "User management"): every setting as a line, "Initialise" ticks on
 * the PC and mobile slots, then Enter → the confirmation → PATCH with the version read → "User was
 * successfully updated". Arriving from a failure's fix, the draft already carries the fix and the
 * focus is on it. On a neo contract the device limit (empty: the contract's) and the registration tick
 * are lines too. The lines in lib/user-edit-fields.ts, state and keys in hooks/use-user-edit.ts,
 * drawing in UserEditView.
 */
import { UserEditView } from "../components/UserEditView.js";
import { type UserEditOptions, useUserEdit } from "../hooks/use-user-edit.js";

export type UserEditScreenProps = UserEditOptions;

export function UserEditScreen(props: UserEditScreenProps) {
  return <UserEditView {...useUserEdit(props)} />;
}
