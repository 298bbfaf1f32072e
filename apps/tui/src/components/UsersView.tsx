/** User management's list (with the search and ticks) or one user's details, as drawn (state in use-users-screen.ts). */
import { Box, Text } from "ink";
import { sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { UsersScreenState } from "../hooks/use-users-screen.js";
import { Frame } from "./Frame.js";
import { TextField } from "./TextField.js";
import { UserDetailView } from "./UserDetailView.js";
import { UserList } from "./UserList.js";

export type UsersViewProps = Pick<
  UsersScreenState,
  "view" | "q" | "searching" | "users" | "more" | "selected" | "ticked" | "height" | "status" | "keys"
>;

export function UsersView({
  view,
  q,
  searching,
  users,
  more,
  selected,
  ticked,
  height,
  status,
  keys,
}: UsersViewProps) {
  const { m } = useUi();
  const { login } = useSession();
  return (
    <Frame
      title={
        view.kind === "detail"
          ? `${m.usersTitle} › ${view.user.userName}`
          : `${m.usersTitle} · ${m.individual} / ${m.batch}`
      }
      context={sessionContext(m, login)}
      status={status}
      keys={keys}
    >
      {view.kind === "detail" ? (
        <UserDetailView user={view.user} model={login.contract.model} />
      ) : (
        <Box flexDirection="column" paddingX={1}>
          <TextField label={m.search} value={q} focused={searching} labelWidth={24} />
          <Text wrap="truncate">
            {users ? m.usersShown(users.length, more) : " "}
            {ticked.size > 0 ? ` · ${m.batchSelected(ticked.size)}` : ""}
          </Text>
          {users === null ? (
            <Text>{m.loading}</Text>
          ) : users.length === 0 ? (
            <Text>{m.noUsers}</Text>
          ) : (
            <UserList users={users} selected={selected} ticked={ticked} height={height - 1} />
          )}
        </Box>
      )}
    </Frame>
  );
}
