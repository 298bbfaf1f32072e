/** Active sessions as drawn: the table of who is connected now, or the disconnect's confirmation (state in use-active-sessions.ts). */
import { Box, Text } from "ink";
import { sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { type ActiveSessionsState, whoOf } from "../hooks/use-active-sessions.js";
import { roleLabel } from "../i18n/index.js";
import { fit } from "../lib/text.js";
import { formatTime } from "../lib/time.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { FRAME_LINES, Frame } from "./Frame.js";

export function ActiveSessionsView({
  sessions,
  selected,
  current,
  confirming,
  status,
  keys,
}: ActiveSessionsState) {
  const { m, size, timeZone, color } = useUi();
  const { login } = useSession();
  const list = sessions ?? [];
  const height = size.rows - FRAME_LINES - 3;
  const start = Math.max(0, Math.min(selected - Math.floor(height / 2), list.length - height));
  const peerWidth = Math.max(10, size.columns - 2 - 2 - 18 - 12 - 16 - 15 - 15 - 6);
  return (
    <Frame title={m.sessionsTitle} context={sessionContext(m, login)} status={status} keys={keys}>
      <Box flexDirection="column" paddingX={1}>
        <Text color={color("muted")} wrap="truncate">
          {m.sessionsIntro}
        </Text>
        {confirming && current ? (
          <ConfirmDialog
            question={m.confirmCommit}
            summary={[
              `${m.disconnectSession(whoOf(m, current))}`,
              `${m.colSource}: ${current.sourceAddress ?? "-"} · ${m.colOpened}: ${formatTime(current.openedAt, timeZone)}`,
            ]}
          />
        ) : sessions === null ? (
          <Text>{m.loading}</Text>
        ) : list.length === 0 ? (
          <Text>{m.noSessions}</Text>
        ) : (
          <Box flexDirection="column">
            <Text bold wrap="truncate">
              {"  "}
              {fit(m.userName, 18)} {fit(m.colRole, 12)} {fit(m.colSource, 16)} {fit(m.colOpened, 15)}{" "}
              {fit(m.colHeartbeat, 15)} {fit(m.colPeer, peerWidth)}
            </Text>
            {list.slice(start, start + height).map((s, i) => {
              const isSel = start + i === selected;
              return (
                <Text
                  key={s.id}
                  inverse={isSel}
                  wrap="truncate"
                  color={s.disconnectRequestedAt ? color("muted") : undefined}
                >
                  {isSel ? "› " : "  "}
                  {fit(s.userName, 18)} {fit(roleLabel(m, s.role), 12)} {fit(s.sourceAddress ?? "-", 16)}{" "}
                  {fit(formatTime(s.openedAt, timeZone), 15)}{" "}
                  {fit(formatTime(s.lastHeartbeatAt, timeZone), 15)}{" "}
                  {fit(s.disconnectRequestedAt ? m.disconnecting : (s.peerUserName ?? "-"), peerWidth)}
                </Text>
              );
            })}
          </Box>
        )}
      </Box>
    </Frame>
  );
}
