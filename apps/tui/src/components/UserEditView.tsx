/** One user's edit form as drawn, or the confirmation listing the changes (state in use-user-edit.ts). */
import { Box, Text } from "ink";
import { sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { UserEditState } from "../hooks/use-user-edit.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { FieldList } from "./FieldList.js";
import { FRAME_LINES, Frame } from "./Frame.js";

export function UserEditView({ user, fields, focus, confirming, summary, status, keys }: UserEditState) {
  const { m, size } = useUi();
  const { login } = useSession();
  return (
    <Frame
      title={`${m.usersTitle} › ${m.editTitle(user.userName)}`}
      context={sessionContext(m, login)}
      status={status}
      keys={keys}
    >
      {confirming ? (
        <Box flexDirection="column">
          <ConfirmDialog question={m.confirmCommit} summary={summary} />
        </Box>
      ) : (
        <Box flexDirection="column" paddingX={1}>
          <Text bold wrap="truncate">
            {m.relayServer}: {user.serverHost} · {m.userName}: {user.userName}
          </Text>
          <FieldList fields={fields} focus={focus} height={size.rows - FRAME_LINES - 1} labelWidth={42} />
        </Box>
      )}
    </Frame>
  );
}
