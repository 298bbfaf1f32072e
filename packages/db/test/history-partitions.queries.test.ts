/**
 * The history's month partitions as the pages and the CSV meet them: a page straddling a month's
 * boundary, and a retention drop while a CSV export streams the month it would drop (the drop waits
 * its turn, the export gets every row, the next pass drops it).
 */
import { describe, expect, it } from "vitest";
import {
  ensureHistoryPartitions,
  historyCsvRows,
  historyPage,
  historyPartitions,
  maintainHistory,
  recordAttempt,
} from "../src/queries/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract } from "./helpers.js";

const t = useTestDatabase();

describe("history partitions", () => {
  it("pages across a month's boundary in order, every row once", async () => {
    const c = await makeContract(t.db);
    const boundary = Date.UTC(2026, 9, 1); // October: its own partition, September's the one before
    await ensureHistoryPartitions(t.db, new Date(boundary - 86_400_000), new Date(boundary));
    const times = [-1500, -1, -1, 0, 0, 0, 1, 999, 86_399_999].map((d) => new Date(boundary + d));
    for (const [i, at] of times.entries()) {
      await recordAttempt(t.db, {
        contractId: c.id,
        userName: `b${i % 3}`,
        role: "viewer",
        result: "failure",
        startedAt: at,
        endedAt: at,
      });
    }
    const parts = await historyPartitions(t.db);
    expect(parts.map((p) => p.name)).toEqual(
      expect.arrayContaining(["access_history_2026_09", "access_history_2026_10"]),
    );
    const seen: { at: number; id: number }[] = [];
    let cursor = null;
    do {
      const page: Awaited<ReturnType<typeof historyPage>> = await historyPage(
        t.db,
        c.id,
        {},
        { limit: 2, cursor },
      );
      seen.push(...page.rows.map((r) => ({ at: r.startedAt.getTime(), id: r.id })));
      cursor = page.nextCursor;
    } while (cursor);
    const expected = [...seen].sort((a, b) => b.at - a.at || b.id - a.id);
    expect(seen).toEqual(expected);
    expect(seen).toHaveLength(times.length);
    expect(new Set(seen.map((s) => s.id)).size).toBe(times.length);
  });

  it("drops a month past retention only once an export reading it is done, which gets every row", async () => {
    const c = await makeContract(t.db);
    const month = Date.UTC(2019, 4, 1);
    await ensureHistoryPartitions(t.db, new Date(month), new Date(month));
    for (let i = 0; i < 25; i++) {
      const at = new Date(month + i * 3_600_000);
      await recordAttempt(t.db, {
        contractId: c.id,
        userName: `old${i}`,
        role: "client",
        result: "success",
        startedAt: at,
        endedAt: new Date(at.getTime() + 60_000),
      });
    }
    const csv = historyCsvRows(t.db, c.id, {}, "UTC").cursor(5)[Symbol.asyncIterator]();
    const exported: string[] = [];
    const first = await csv.next();
    if (first.done) expect.fail("no rows");
    exported.push(...first.value.map((r) => r[0]));

    // The export holds the table: the drop gives up after its lock timeout, to be tried next pass.
    const during = await maintainHistory(t.db, { lockTimeoutMs: 200 });
    expect(during.busy).toContain("access_history_2019_05");
    expect(during.dropped).not.toContain("access_history_2019_05");

    for (let next = await csv.next(); !next.done; next = await csv.next())
      exported.push(...next.value.map((r) => r[0]));
    expect(exported.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `old${i}`).sort());

    const after = await maintainHistory(t.db, { lockTimeoutMs: 200 });
    expect(after.dropped).toContain("access_history_2019_05");
    const page = await historyPage(t.db, c.id, {}, { limit: 10 });
    expect(page.rows).toEqual([]);
  });
});
