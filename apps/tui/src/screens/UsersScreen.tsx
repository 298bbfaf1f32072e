/**
 * User management: search, the list (with ticks for batch management), a user's details, and the
 * edit and batch screens. Opened with `open`, it goes straight to that user — with a fix, straight to
 * the edit screen with the fix preset. State and keys in hooks/use-users-screen.ts, drawing in UsersView.
 */
import { UsersView } from "../components/UsersView.js";
import { type UsersScreenOptions, useUsersScreen } from "../hooks/use-users-screen.js";
import { BatchScreen } from "./BatchScreen.js";
import { UserEditScreen } from "./UserEditScreen.js";

export type UsersScreenProps = UsersScreenOptions;

export function UsersScreen(props: UsersScreenProps) {
  const state = useUsersScreen(props);
  const { view } = state;
  if (view.kind === "edit") {
    return (
      <UserEditScreen
        user={view.user}
        {...(view.draft ? { initialDraft: view.draft } : {})}
        {...(view.focus ? { initialFocus: view.focus } : {})}
        {...state.edit}
      />
    );
  }
  if (view.kind === "batch") return <BatchScreen users={view.users} {...state.batch} />;
  return <UsersView {...state} />;
}
