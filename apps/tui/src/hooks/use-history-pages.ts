/**
 * Keyset paging over the access history that stays instant: pages already seen are kept, so going
 * back costs nothing, and the next page is fetched as soon as the current one shows, so going
 * forward usually costs nothing either. The API only pages forward; the cursors of earlier pages are
 * remembered here.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { ApiFailure } from "../api/client.js";
import type { HistoryPage, HistoryQueryInput } from "../api/types.js";
import { useSession } from "../app/session.js";

export interface HistoryPages {
  page: HistoryPage | null;
  index: number;
  loading: boolean;
  error: ApiFailure | null;
  hasNext: boolean;
  next(): void;
  prev(): void;
  reload(): void;
}

export function useHistoryPages(query: HistoryQueryInput | null, pageSize = 100): HistoryPages {
  const { api } = useSession();
  const [index, setIndex] = useState(0);
  const [, force] = useState(0);
  const [error, setError] = useState<ApiFailure | null>(null);
  // Keyed by page index; reset whenever the query changes.
  const cache = useRef(new Map<number, Promise<HistoryPage | ApiFailure>>());
  const done = useRef(new Map<number, HistoryPage>());
  const key = JSON.stringify(query);
  const generation = useRef(0);

  const fetchPage = useCallback(
    (i: number): Promise<HistoryPage | ApiFailure> => {
      const have = cache.current.get(i);
      if (have) return have;
      const gen = generation.current;
      const run = async (): Promise<HistoryPage | ApiFailure> => {
        let cursor: string | undefined;
        if (i > 0) {
          const prev = await fetchPage(i - 1);
          if (!("groups" in prev) || !prev.nextCursor)
            return { kind: "api", status: 404, code: "not-found", message: "no page" };
          cursor = prev.nextCursor;
        }
        const res = await api.history({ ...query, limit: pageSize, ...(cursor ? { cursor } : {}) });
        if (gen !== generation.current) return res.ok ? res.value : res.error;
        if (res.ok) {
          done.current.set(i, res.value);
          force((n) => n + 1);
          return res.value;
        }
        cache.current.delete(i);
        setError(res.error);
        return res.error;
      };
      const p = run();
      cache.current.set(i, p);
      return p;
    },
    [api, key, pageSize],
  );
  useEffect(() => {
    generation.current++;
    cache.current = new Map();
    done.current = new Map();
    setIndex(0);
    setError(null);
    force((n) => n + 1);
  }, [key]);

  useEffect(() => {
    if (query === null) return;
    void fetchPage(index).then((p) => {
      if ("groups" in p && p.nextCursor) void fetchPage(index + 1);
    });
  }, [query, index, fetchPage]);

  const page = done.current.get(index) ?? null;
  return {
    page,
    index,
    loading: query !== null && page === null && error === null,
    error,
    hasNext: Boolean(page?.nextCursor),
    next: () => {
      if (page?.nextCursor) setIndex((i) => i + 1);
    },
    prev: () => setIndex((i) => Math.max(0, i - 1)),
    reload: () => {
      generation.current++;
      cache.current = new Map();
      done.current = new Map();
      setError(null);
      force((n) => n + 1);
      void fetchPage(index);
    },
  };
}
