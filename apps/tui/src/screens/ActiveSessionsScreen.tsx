/**
 * Active sessions (ours): the viewers and clients connected now, and a disconnect after the
 * confirmation. A disconnect is a request: the relay closes the session shortly after, so the row
 * stays, marked, until a refresh no longer lists it.
 */
import { Box, Text } from "ink";
import { useCallback, useEffect, useState } from "react";
import type { ApiFailure } from "../api/client.js";
import type { ActiveSession } from "../api/types.js";
import { describeFailure, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { FRAME_LINES, Frame, type FrameStatus } from "../components/Frame.js";
import { useKeys } from "../hooks/use-keys.js";
import { roleLabel } from "../i18n/index.js";
import { fit } from "../lib/text.js";
import { formatTime } from "../lib/time.js";

export function ActiveSessionsScreen({ onBack }: { onBack(): void }) {
  const { m, size, timeZone, color } = useUi();
  const { api, login } = useSession();
  const [sessions, setSessions] = useState<ActiveSession[] | null>(null);
  const [selected, setSelected] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState<FrameStatus | null>(null);

  const fail = useCallback(
    (error: ApiFailure) => setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, error) }),
    [api, m],
  );
  const load = useCallback(async () => {
    const res = await api.activeSessions();
    if (!res.ok) return fail(res.error);
    setSessions(res.value.sessions);
    setSelected((s) => Math.max(0, Math.min(s, res.value.sessions.length - 1)));
  }, [api, fail]);
  useEffect(() => {
    void load();
  }, [load]);

  const list = sessions ?? [];
  const current = list[selected];
  const who = (s: ActiveSession) => `${s.userName} (${roleLabel(m, s.role)})`;

  async function disconnect(session: ActiveSession) {
    setConfirming(false);
    const res = await api.disconnectSession(session.id);
    if (!res.ok) return fail(res.error);
    setStatus({ kind: "success", text: m.disconnectRequested(who(session)) });
    await load();
  }

  useKeys((input, key) => {
    if (confirming) {
      if ((input === "y" || key.return) && current) void disconnect(current);
      else if (input === "n" || key.escape) setConfirming(false);
      return;
    }
    if (key.escape) return onBack();
    if (key.upArrow) return setSelected((s) => Math.max(0, s - 1));
    if (key.downArrow) return setSelected((s) => Math.min(list.length - 1, s + 1));
    if (input === "r") {
      setStatus(null);
      return void load();
    }
    if (input === "d" && current && !current.disconnectRequestedAt) {
      setStatus(null);
      setConfirming(true);
    }
  });

  const height = size.rows - FRAME_LINES - 3;
  const start = Math.max(0, Math.min(selected - Math.floor(height / 2), list.length - height));
  const peerWidth = Math.max(10, size.columns - 2 - 2 - 18 - 12 - 16 - 15 - 15 - 6);
  return (
    <Frame
      title={m.sessionsTitle}
      context={sessionContext(m, login)}
      status={status}
      keys={confirming ? [m.keyYesNo] : [m.keyMove, m.keyDisconnect, m.keyRefresh, m.keyBack]}
    >
      <Box flexDirection="column" paddingX={1}>
        <Text color={color("muted")} wrap="truncate">
          {m.sessionsIntro}
        </Text>
        {confirming && current ? (
          <ConfirmDialog
            question={m.confirmCommit}
            summary={[
              `${m.disconnectSession(who(current))}`,
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
