/** Grouping as drawn: the links from one end, the add form, or the removal's confirmation (state in use-grouping.ts). */
import { Box, Text } from "ink";
import { sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { GroupingState } from "../hooks/use-grouping.js";
import { fit } from "../lib/text.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { Frame } from "./Frame.js";
import { TextField } from "./TextField.js";

export function GroupingView({
  groups,
  by,
  links,
  selected,
  current,
  mode,
  add,
  status,
  keys,
}: GroupingState) {
  const { m, color } = useUi();
  const { login } = useSession();
  const left = by === "viewer" ? m.linkViewer : m.linkClient;
  const right = by === "viewer" ? m.linkClient : m.linkViewer;
  return (
    <Frame title={m.groupingTitle} context={sessionContext(m, login)} status={status} keys={keys}>
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
