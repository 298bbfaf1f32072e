/** The user list: name, type, viewer product, memo; ticks for batch selection, a mark for locked users. */
import { Box, Text } from "ink";
import type { UserSummary } from "../api/types.js";
import { useUi } from "../app/ui-context.js";
import { productLabel } from "../i18n/index.js";
import { fit } from "../lib/text.js";

export interface UserListProps {
  users: UserSummary[];
  selected: number;
  ticked: ReadonlySet<string>;
  height: number;
}

export function UserList({ users, selected, ticked, height }: UserListProps) {
  const { m, lang, size, color } = useUi();
  const memoWidth = Math.max(10, size.columns - 2 - 4 - 18 - 1 - 26 - 1);
  // Lines for users under the header; the selection stays in view, the last user included.
  const room = Math.max(1, height - 1);
  const start = Math.max(0, Math.min(selected - Math.floor(room / 2), users.length - room));
  return (
    <Box flexDirection="column">
      <Text bold wrap="truncate">
        {"      "}
        {fit(m.userName, 18)} {fit(m.permissions, 26)} {fit(m.memo, memoWidth)}
      </Text>
      {users.slice(start, start + room).map((u, i) => {
        const index = start + i;
        const isSel = index === selected;
        return (
          <Text key={u.userName} inverse={isSel} wrap="truncate" color={u.locked ? color("warn") : undefined}>
            {isSel ? "› " : "  "}
            {ticked.has(u.userName) ? "[x] " : "[ ] "}
            {fit(u.userName, 18)} {fit(productLabel(lang, u.viewerProduct), 26)}{" "}
            {fit(`${u.locked ? `${m.locked} ` : ""}${u.memo}`, memoWidth)}
          </Text>
        );
      })}
    </Box>
  );
}
