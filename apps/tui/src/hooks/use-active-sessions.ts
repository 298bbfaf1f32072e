/**
 * Active sessions' state and keys: the viewers and clients connected now, refreshed on r, and a
 * disconnect after the confirmation. A disconnect is a request: the relay closes the session shortly
 * after, so the row stays, marked, until a refresh no longer lists it. The view only draws.
 */
import { useCallback, useEffect, useState } from "react";
import type { ApiFailure } from "../api/client.js";
import type { ActiveSession } from "../api/types.js";
import { describeFailure, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { FrameStatus } from "../components/Frame.js";
import { type Messages, roleLabel } from "../i18n/index.js";
import { activeSessionsKeys } from "../lib/key-bindings.js";
import { useBindings } from "./use-keys.js";

/** "user1 (Viewer)": whose session it is, as the confirmation and the status name it. */
export const whoOf = (m: Messages, s: ActiveSession) => `${s.userName} (${roleLabel(m, s.role)})`;

export interface ActiveSessionsState {
  /** Null until loaded. */
  sessions: ActiveSession[] | null;
  selected: number;
  current: ActiveSession | undefined;
  confirming: boolean;
  status: FrameStatus | null;
  keys: string[];
}

export function useActiveSessions({ onBack }: { onBack(): void }): ActiveSessionsState {
  const { m } = useUi();
  const { api } = useSession();
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

  async function disconnect(session: ActiveSession) {
    setConfirming(false);
    const res = await api.disconnectSession(session.id);
    if (!res.ok) return fail(res.error);
    setStatus({ kind: "success", text: m.disconnectRequested(whoOf(m, session)) });
    await load();
  }

  const keys = useBindings(
    confirming ? activeSessionsKeys.confirm : activeSessionsKeys.list,
    confirming
      ? {
          confirm: () => {
            if (current) void disconnect(current);
          },
          cancel: () => setConfirming(false),
        }
      : {
          move: (_input, key) =>
            key.upArrow
              ? setSelected((s) => Math.max(0, s - 1))
              : setSelected((s) => Math.min(list.length - 1, s + 1)),
          // A session already asked to close can't be asked again.
          disconnect: () => {
            if (!current || current.disconnectRequestedAt) return;
            setStatus(null);
            setConfirming(true);
          },
          refresh: () => {
            setStatus(null);
            void load();
          },
          back: onBack,
        },
  );

  return { sessions, selected, current, confirming, status, keys };
}
