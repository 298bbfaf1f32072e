/**
 * User management's state and keys: the search, the paged list with its ticks for batch management,
 * a user's details, and which of the edit and batch screens is open. Opened with `open`, it goes
 * straight to that user — with a fix, straight to the edit screen with the fix preset.
 */
import { useCallback, useEffect, useState } from "react";
import type { UserDetail, UserSummary } from "../api/types.js";
import { describeFailure, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { FRAME_LINES, type FrameStatus } from "../components/Frame.js";
import { usersKeys } from "../lib/key-bindings.js";
import { applyFix, type Draft, type DraftField, type FixTarget } from "../lib/user-draft.js";
import { editText, useBindings } from "./use-keys.js";
import { useUserPages } from "./use-user-pages.js";

export type UsersView =
  | { kind: "list" }
  | { kind: "detail"; user: UserDetail }
  | { kind: "edit"; user: UserDetail; draft?: Draft; focus?: DraftField }
  | { kind: "batch"; users: UserSummary[] };

export interface UsersScreenOptions {
  open?: { userName: string; fix?: FixTarget | undefined } | undefined;
  onBack(): void;
}

export interface UsersScreenState {
  view: UsersView;
  q: string;
  searching: boolean;
  /** Null until the first page arrives. */
  users: UserSummary[] | null;
  more: boolean;
  selected: number;
  ticked: ReadonlySet<string>;
  /** Rows the list has on the terminal. */
  height: number;
  status: FrameStatus | null;
  keys: string[];
  /** What the edit screen reports back. */
  edit: { onCancel(): void; onSaved(user: UserDetail): void; onStale(): void };
  /** What the batch screen reports back. */
  batch: { onCancel(): void; onSaved(count: number): void };
}

export function useUsersScreen({ open, onBack }: UsersScreenOptions): UsersScreenState {
  const { m, size } = useUi();
  const { api } = useSession();
  const [q, setQ] = useState("");
  const [searching, setSearching] = useState(false);
  const [selected, setSelected] = useState(0);
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const [view, setView] = useState<UsersView>({ kind: "list" });
  const [status, setStatus] = useState<FrameStatus | null>(null);

  const fail = useCallback(
    (error: Parameters<typeof describeFailure>[2]) =>
      setStatus({ kind: "error", text: describeFailure(m, api.baseUrl, error) }),
    [api, m],
  );

  const pages = useUserPages(fail);
  const { users, loadMore } = pages;
  const search = useCallback(
    async (text: string) => {
      setSelected(0);
      await pages.search(text);
    },
    [pages.search],
  );
  const height = size.rows - FRAME_LINES - 2;
  // The next page is fetched while the selection is still a screen away from the end of the list.
  useEffect(() => {
    if (users && selected >= users.length - height) loadMore();
  }, [users, selected, height, loadMore]);

  const openUser = useCallback(
    async (userName: string, fix?: FixTarget) => {
      const res = await api.user(userName);
      if (!res.ok) return fail(res.error);
      if (fix) {
        const { draft, focus } = applyFix(res.value, fix);
        setView({ kind: "edit", user: res.value, draft, focus });
      } else setView({ kind: "detail", user: res.value });
    },
    [api, fail],
  );
  useEffect(() => {
    void search("");
    if (open) void openUser(open.userName, open.fix);
  }, []);

  const list = users ?? [];
  const current = list[selected];
  const page = Math.max(1, height - 2);
  const keys = useBindings(
    view.kind === "detail" ? usersKeys.detail : searching ? usersKeys.search : usersKeys.list,
    view.kind === "detail"
      ? {
          edit: () => {
            setStatus(null);
            setView({ kind: "edit", user: view.user });
          },
          back: () => {
            setStatus(null);
            setView({ kind: "list" });
          },
        }
      : searching
        ? {
            submit: () => {
              setSearching(false);
              void search(q);
            },
            back: () => setSearching(false),
          }
        : {
            move: (_input, key) => {
              if (key.upArrow) setSelected((s) => Math.max(0, s - 1));
              else if (key.downArrow) setSelected((s) => Math.min(list.length - 1, s + 1));
              else if (key.pageUp) setSelected((s) => Math.max(0, s - page));
              else setSelected((s) => Math.min(list.length - 1, s + page));
            },
            open: () => {
              if (!current) return;
              setStatus(null);
              void openUser(current.userName);
            },
            edit: () => {
              if (!current) return;
              setStatus(null);
              void api
                .user(current.userName)
                .then((res) => (res.ok ? setView({ kind: "edit", user: res.value }) : fail(res.error)));
            },
            search: () => setSearching(true),
            select: () => {
              if (!current) return;
              setTicked((t) => {
                const next = new Set(t);
                if (next.has(current.userName)) next.delete(current.userName);
                else next.add(current.userName);
                return next;
              });
            },
            batch: () => {
              const chosen = list.filter((u) => ticked.has(u.userName));
              if (chosen.length === 0) return setStatus({ kind: "error", text: m.batchSelectFirst });
              setStatus(null);
              setView({ kind: "batch", users: chosen });
            },
            back: onBack,
          },
    searching && view.kind === "list" ? (input, key) => setQ((v) => editText(v, input, key, 128)) : undefined,
    // The edit and batch screens answer their own keys.
    { active: view.kind === "list" || view.kind === "detail" },
  );

  return {
    view,
    q,
    searching,
    users,
    more: pages.more,
    selected,
    ticked,
    height,
    status,
    keys,
    edit: {
      onCancel: () =>
        setView((v) =>
          open?.fix && v.kind === "edit" ? { kind: "detail", user: v.user } : { kind: "list" },
        ),
      onSaved: (user) => {
        setStatus({ kind: "success", text: m.userUpdated });
        setView({ kind: "detail", user });
        void search(q);
      },
      onStale: () => {
        if (view.kind === "edit") void openUser(view.user.userName);
      },
    },
    batch: {
      onCancel: () => setView({ kind: "list" }),
      onSaved: (n) => {
        setTicked(new Set());
        setStatus({ kind: "success", text: m.usersUpdated(n) });
        setView({ kind: "list" });
        void search(q);
      },
    },
  };
}
