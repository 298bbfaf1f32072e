/**
 * Grouping's state and keys: the links seen from the viewer or the client end, a link being added,
 * a link being removed after a confirmation. The view (components/GroupingView.tsx) only draws.
 */
import { useCallback, useEffect, useState } from "react";
import type { GroupLink, GroupsResponse } from "../api/types.js";
import { describeFailure, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { FrameStatus } from "../components/Frame.js";
import { groupingKeys } from "../lib/key-bindings.js";
import { editText, useBindings } from "./use-keys.js";

export interface GroupingState {
  /** Null until loaded. */
  groups: GroupsResponse | null;
  by: "viewer" | "client";
  /** One line per link, sorted by the end the view is keyed on. */
  links: GroupLink[];
  selected: number;
  current: GroupLink | undefined;
  mode: "list" | "add" | "remove";
  add: { viewer: string; client: string; focus: "viewer" | "client" };
  status: FrameStatus | null;
  keys: string[];
}

export function useGrouping({ onBack }: { onBack(): void }): GroupingState {
  const { m } = useUi();
  const { api } = useSession();
  const [groups, setGroups] = useState<GroupsResponse | null>(null);
  const [by, setBy] = useState<"viewer" | "client">("viewer");
  const [selected, setSelected] = useState(0);
  const [mode, setMode] = useState<"list" | "add" | "remove">("list");
  const [add, setAdd] = useState<GroupingState["add"]>({ viewer: "", client: "", focus: "viewer" });
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

  const keys = useBindings(
    groupingKeys[mode],
    mode === "add"
      ? {
          nextField: () => setAdd((a) => ({ ...a, focus: a.focus === "viewer" ? "client" : "viewer" })),
          submit: () => {
            if (!add.viewer || !add.client)
              return setAdd((a) => ({ ...a, focus: a.viewer ? "client" : "viewer" }));
            void api.addLinks([{ viewer: add.viewer, client: add.client }]).then((res) => {
              if (!res.ok) return fail(res.error);
              setStatus({ kind: "success", text: m.linkAdded });
              setMode("list");
              setAdd({ viewer: "", client: "", focus: "viewer" });
              void load();
            });
          },
          back: () => setMode("list"),
        }
      : mode === "remove"
        ? {
            confirm: () => {
              if (!current) return;
              void api.removeLinks([{ viewer: current.viewer, client: current.client }]).then((res) => {
                setMode("list");
                if (!res.ok) return fail(res.error);
                setStatus({ kind: "success", text: m.linkRemoved });
                setSelected((s) => Math.max(0, s - 1));
                void load();
              });
            },
            cancel: () => setMode("list"),
          }
        : {
            move: (_input, key) =>
              key.upArrow
                ? setSelected((s) => Math.max(0, s - 1))
                : setSelected((s) => Math.min(links.length - 1, s + 1)),
            switch: () => setBy((b) => (b === "viewer" ? "client" : "viewer")),
            add: () => {
              setStatus(null);
              setMode("add");
            },
            remove: () => {
              if (current) setMode("remove");
            },
            back: onBack,
          },
    mode === "add"
      ? (input, key) => setAdd((a) => ({ ...a, [a.focus]: editText(a[a.focus], input, key, 128) }))
      : undefined,
  );

  return { groups, by, links, selected, current, mode, add, status, keys };
}
