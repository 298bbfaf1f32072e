/** Batch management as drawn: the selected users, then the settings or the confirmation (state in use-batch.ts). */
import { Box, Text } from "ink";
import { sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { BatchState } from "../hooks/use-batch.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { FieldList } from "./FieldList.js";
import { FRAME_LINES, Frame } from "./Frame.js";

export function BatchView({ users, fields, focus, confirming, status, keys }: BatchState) {
  const { m, size } = useUi();
  const { login } = useSession();
  return (
    <Frame
      title={`${m.usersTitle} › ${m.batchTitle}`}
      context={sessionContext(m, login)}
      status={status}
      keys={keys}
    >
      <Box flexDirection="column" paddingX={1}>
        <Text wrap="truncate">
          {m.batchSelected(users.length)}: {users.map((u) => u.userName).join(", ")}
        </Text>
        {confirming ? (
          <ConfirmDialog
            question={m.confirmCommit}
            summary={fields.filter((f) => f.changed).map((f) => `${f.label}: ${f.value}`)}
          />
        ) : (
          <FieldList fields={fields} focus={focus} height={size.rows - FRAME_LINES - 1} labelWidth={44} />
        )}
      </Box>
    </Frame>
  );
}
