/**
 * User management container: search, the list (with ticks for batch management), a user's details,
 * and the edit and batch screens. Opened with `open`, it goes straight to that user — with a fix,
 * straight to the edit screen with the fix preset.
 */
import { Box, Text } from "ink";
import { useCallback, useEffect, useState } from "react";
import type { UserDetail, UserSummary } from "../api/types.js";
import { describeFailure, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { FRAME_LINES, Frame, type FrameStatus } from "../components/Frame.js";
import { TextField } from "../components/TextField.js";
import { UserDetailView } from "../components/UserDetailView.js";
import { UserList } from "../components/UserList.js";
import { editText, useKeys } from "../hooks/use-keys.js";
import { useUserPages } from "../hooks/use-user-pages.js";
import { applyFix, type Draft, type DraftField, type FixTarget } from "../lib/user-draft.js";
import { BatchScreen } from "./BatchScreen.js";
import { UserEditScreen } from "./UserEditScreen.js";

type View =
  | { kind: "list" }
  | { kind: "detail"; user: UserDetail }
  | { kind: "edit"; user: UserDetail; draft?: Draft; focus?: DraftField }
  | { kind: "batch"; users: UserSummary[] };

export interface UsersScreenProps {
  open?: { userName: string; fix?: FixTarget | undefined } | undefined;
  onBack(): void;
}

export function UsersScreen({ open, onBack }: UsersScreenProps) {
  const { m, size } = useUi();
  const { api, login } = useSession();
  const [q, setQ] = useState("");
  const [searching, setSearching] = useState(false);
  const [selected, setSelected] = useState(0);
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const [view, setView] = useState<View>({ kind: "list" });
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

  const listActive = view.kind === "list";
  useKeys((input, key) => {
    if (searching) {
      if (key.return) {
        setSearching(false);
        void search(q);
      } else if (key.escape) setSearching(false);
      else setQ((v) => editText(v, input, key, 128));
      return;
    }
    if (key.escape) return onBack();
    const list = users ?? [];
    const current = list[selected];
    const page = Math.max(1, height - 2);
    if (key.upArrow) return setSelected((s) => Math.max(0, s - 1));
    if (key.downArrow) return setSelected((s) => Math.min(list.length - 1, s + 1));
    if (key.pageUp) return setSelected((s) => Math.max(0, s - page));
    if (key.pageDown) return setSelected((s) => Math.min(list.length - 1, s + page));
    if (input === "/") return setSearching(true);
    if (input === " " && current) {
      return setTicked((t) => {
        const next = new Set(t);
        if (next.has(current.userName)) next.delete(current.userName);
        else next.add(current.userName);
        return next;
      });
    }
    if (input === "b") {
      const chosen = list.filter((u) => ticked.has(u.userName));
      if (chosen.length === 0) return setStatus({ kind: "error", text: m.batchSelectFirst });
      setStatus(null);
      return setView({ kind: "batch", users: chosen });
    }
    if (current && key.return) {
      setStatus(null);
      return void openUser(current.userName);
    }
    if (current && input === "e") {
      setStatus(null);
      void api
        .user(current.userName)
        .then((res) => (res.ok ? setView({ kind: "edit", user: res.value }) : fail(res.error)));
    }
  }, listActive);

  useKeys((input, key) => {
    if (view.kind !== "detail") return;
    if (key.escape) {
      setStatus(null);
      return setView({ kind: "list" });
    }
    if (input === "e") {
      setStatus(null);
      setView({ kind: "edit", user: view.user });
    }
  }, view.kind === "detail");

  if (view.kind === "edit") {
    return (
      <UserEditScreen
        user={view.user}
        {...(view.draft ? { initialDraft: view.draft } : {})}
        {...(view.focus ? { initialFocus: view.focus } : {})}
        onCancel={() => setView(open?.fix ? { kind: "detail", user: view.user } : { kind: "list" })}
        onSaved={(user) => {
          setStatus({ kind: "success", text: m.userUpdated });
          setView({ kind: "detail", user });
          void search(q);
        }}
        onStale={() => void openUser(view.user.userName)}
      />
    );
  }
  if (view.kind === "batch") {
    return (
      <BatchScreen
        users={view.users}
        onCancel={() => setView({ kind: "list" })}
        onSaved={(n) => {
          setTicked(new Set());
          setStatus({ kind: "success", text: m.usersUpdated(n) });
          setView({ kind: "list" });
          void search(q);
        }}
      />
    );
  }
  return (
    <Frame
      title={
        view.kind === "detail"
          ? `${m.usersTitle} › ${view.user.userName}`
          : `${m.usersTitle} · ${m.individual} / ${m.batch}`
      }
      context={sessionContext(m, login)}
      status={status}
      keys={
        view.kind === "detail"
          ? [m.keyEdit, m.keyBack]
          : searching
            ? [m.keySubmit, m.keyBack]
            : [m.keyMove, m.keyOpen, m.keyEdit, m.keySearch, m.keySelect, m.keyBatch, m.keyBack]
      }
    >
      {view.kind === "detail" ? (
        <UserDetailView user={view.user} model={login.contract.model} />
      ) : (
        <Box flexDirection="column" paddingX={1}>
          <TextField label={m.search} value={q} focused={searching} labelWidth={24} />
          <Text wrap="truncate">
            {users ? m.usersShown(users.length, pages.more) : " "}
            {ticked.size > 0 ? ` · ${m.batchSelected(ticked.size)}` : ""}
          </Text>
          {users === null ? (
            <Text>{m.loading}</Text>
          ) : users.length === 0 ? (
            <Text>{m.noUsers}</Text>
          ) : (
            <UserList users={users} selected={selected} ticked={ticked} height={height - 1} />
          )}
        </Box>
      )}
    </Frame>
  );
}
