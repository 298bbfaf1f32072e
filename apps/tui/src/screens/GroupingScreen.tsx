/**
 * Grouping (グループ化): viewer → clients (1:N) or client → viewers (N:1), with links added and removed.
 * Every link is a viewer–client pair; the two views are the same links seen from either end.
 */
import { Box, Text } from "ink";
import { useCallback, useEffect, useState } from "react";
import type { GroupsResponse } from "../api/types.js";
import { describeFailure, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { ConfirmDialog } from "../components/ConfirmDialog.js";
import { Frame, type FrameStatus } from "../components/Frame.js";
import { TextField } from "../components/TextField.js";
import { editText, useKeys } from "../hooks/use-keys.js";
import { fit } from "../lib/text.js";

export function GroupingScreen({ onBack }: { onBack(): void }) {
  const { m, color } = useUi();
  const { api, login } = useSession();
  const [groups, setGroups] = useState<GroupsResponse | null>(null);
  const [by, setBy] = useState<"viewer" | "client">("viewer");
  const [selected, setSelected] = useState(0);
  const [mode, setMode] = useState<"list" | "add" | "remove">("list");
  const [add, setAdd] = useState({ viewer: "", client: "", focus: "viewer" as "viewer" | "client" });
  const [status, setStatus] = useState<FrameStatus | null>(null);

  const fail = useCallback(
    (error: Parameters<typeof describeFailure>[2]) =>
      setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, error) }),
    [api, m],
  );
  const load = useCallback(async () => {
    const res = await api.groups();
    if (res.ok) setGroups(res.value);
    else fail(res.error);
  }, [api, fail]);
  useEffect(() => {
    void load();
  }, [load]);

  // One line per link, sorted by the end the view is keyed on.
  const links = [...(groups?.links ?? [])].sort((a, b) =>
    by === "viewer"
      ? a.viewer.localeCompare(b.viewer) || a.client.localeCompare(b.client)
      : a.client.localeCompare(b.client) || a.viewer.localeCompare(b.viewer),
  );
  const current = links[selected];

  useKeys((input, key) => {
    if (mode === "add") {
      if (key.escape) return setMode("list");
      if (key.tab || key.downArrow || key.upArrow)
        return setAdd((a) => ({ ...a, focus: a.focus === "viewer" ? "client" : "viewer" }));
      if (key.return) {
        if (!add.viewer || !add.client)
          return setAdd((a) => ({ ...a, focus: a.viewer ? "client" : "viewer" }));
        void api.addLinks([{ viewer: add.viewer, client: add.client }]).then((res) => {
          if (!res.ok) return fail(res.error);
          setStatus({ kind: "success", text: m.linkAdded });
          setMode("list");
          setAdd({ viewer: "", client: "", focus: "viewer" });
          void load();
        });
        return;
      }
      return setAdd((a) => ({ ...a, [a.focus]: editText(a[a.focus], input, key, 128) }));
    }
    if (mode === "remove") {
      if ((input === "y" || key.return) && current) {
        void api.removeLinks([{ viewer: current.viewer, client: current.client }]).then((res) => {
          setMode("list");
          if (!res.ok) return fail(res.error);
          setStatus({ kind: "success", text: m.linkRemoved });
          setSelected((s) => Math.max(0, s - 1));
          void load();
        });
      } else if (input === "n" || key.escape) setMode("list");
      return;
    }
    if (key.escape) return onBack();
    if (key.upArrow) return setSelected((s) => Math.max(0, s - 1));
    if (key.downArrow) return setSelected((s) => Math.min(links.length - 1, s + 1));
    if (input === "v") return setBy((b) => (b === "viewer" ? "client" : "viewer"));
    if (input === "a") {
      setStatus(null);
      return setMode("add");
    }
    if (input === "d" && current) return setMode("remove");
  });

  const left = by === "viewer" ? m.linkViewer : m.linkClient;
  const right = by === "viewer" ? m.linkClient : m.linkViewer;
  return (
    <Frame
      title={m.groupingTitle}
      context={sessionContext(m, login)}
      status={status}
      keys={
        mode === "list"
          ? [m.keyMove, m.keySwitch, m.keyAdd, m.keyRemove, m.keyBack]
          : mode === "add"
            ? [m.keyNextField, m.keySubmit, m.keyBack]
            : [m.keyYesNo]
      }
    >
      <Box flexDirection="column" paddingX={1}>
        <Text bold>{by === "viewer" ? m.byViewer : m.byClient}</Text>
        <Text color={color("muted")} wrap="truncate">
          {m.groupingNote}
        </Text>
        {mode === "add" ? (
          <Box flexDirection="column">
            <Text bold>{m.addLink}</Text>
            <TextField label={m.linkViewer} value={add.viewer} focused={add.focus === "viewer"} />
            <TextField label={m.linkClient} value={add.client} focused={add.focus === "client"} />
          </Box>
        ) : mode === "remove" && current ? (
          <ConfirmDialog
            question={m.confirmCommit}
            summary={[`${m.removeLink}: ${current.viewer} → ${current.client}`]}
          />
        ) : links.length === 0 ? (
          <Text wrap="wrap">{groups ? m.noLinks : m.loading}</Text>
        ) : (
          <Box flexDirection="column">
            <Text bold>
              {"  "}
              {fit(left, 24)} {right}
            </Text>
            {links.map((l, i) => {
              const [a, b] = by === "viewer" ? [l.viewer, l.client] : [l.client, l.viewer];
              const prev = links[i - 1];
              const same = prev && (by === "viewer" ? prev.viewer === l.viewer : prev.client === l.client);
              return (
                <Text key={`${l.viewer}>${l.client}`} inverse={i === selected} wrap="truncate">
                  {i === selected ? "› " : "  "}
                  {fit(same ? "" : a, 24)} → {b}
                </Text>
              );
            })}
          </Box>
        )}
      </Box>
    </Frame>
  );
}
