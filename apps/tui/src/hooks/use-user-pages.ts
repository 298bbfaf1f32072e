/**
 * The user list, paged by the API's keyset cursor (user name order): the first page on a search,
 * further pages appended as the selection nears the end of what is loaded, so a contract of
 * thousands of users opens as fast as one of ten and every user can still be reached.
 */
import { useCallback, useRef, useState } from "react";
import type { ApiFailure } from "../api/client.js";
import type { UserSummary } from "../api/types.js";
import { useSession } from "../app/session.js";

export interface UserPages {
  /** Null until the first page arrives. */
  users: UserSummary[] | null;
  /** True while the API has users after the last one loaded. */
  more: boolean;
  /** Starts over with the first page of `q`. */
  search(q: string): Promise<void>;
  /** Appends the next page, unless one is already on its way or there is none. */
  loadMore(): void;
}

export function useUserPages(onError: (error: ApiFailure) => void): UserPages {
  const { api } = useSession();
  const [users, setUsers] = useState<UserSummary[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  // Which search the pages belong to: a page of an earlier search that arrives late is dropped.
  const generation = useRef(0);
  const query = useRef("");
  const loading = useRef(false);

  const search = useCallback(
    async (q: string) => {
      const gen = ++generation.current;
      query.current = q;
      loading.current = true;
      const res = await api.users(q);
      if (gen !== generation.current) return;
      loading.current = false;
      if (!res.ok) return onError(res.error);
      setUsers(res.value.users);
      setCursor(res.value.nextCursor);
    },
    [api, onError],
  );

  const loadMore = useCallback(() => {
    if (!cursor || loading.current) return;
    const gen = generation.current;
    loading.current = true;
    void api.users(query.current, cursor).then((res) => {
      if (gen !== generation.current) return;
      loading.current = false;
      if (!res.ok) return onError(res.error);
      setUsers((u) => [...(u ?? []), ...res.value.users]);
      setCursor(res.value.nextCursor);
    });
  }, [api, cursor, onError]);

  return { users, more: cursor !== null, search, loadMore };
}
