import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import {
  connectedTimeQuery,
  type HistoryFilter,
  historyPage,
  historyPageQuery,
  historyRows,
  recordAttempt,
} from "../src/queries/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser } from "./helpers.js";

const t = useTestDatabase();

const at = (s: string) => new Date(`2026-11-15T${s}+09:00`);

describe("access history", () => {
  it("pages newest first by keyset, filters, and sums each user's connection time over the filter", async () => {
    const c = await makeContract(t.db);
    const other = await makeContract(t.db);
    const u1 = await makeUser(t.db, c, "user1");
    const u2 = await makeUser(t.db, c, "user2");
    const base = { contractId: c.id, role: "viewer" as const };
    await recordAttempt(t.db, {
      ...base,
      userId: u1.id,
      userName: "user1",
      result: "failure",
      reasonKey: "password-mismatch-viewer",
      reasonCode: 110200,
      startedAt: at("10:16:55"),
      endedAt: at("10:16:55"),
    });
    await recordAttempt(t.db, {
      ...base,
      userId: u1.id,
      userName: "user1",
      result: "success",
      startedAt: at("10:17:00"),
      endedAt: at("10:29:23"),
    });
    await recordAttempt(t.db, {
      ...base,
      userId: u1.id,
      userName: "user1",
      result: "info",
      reasonKey: "terminal-auth-registered",
      reasonCode: 200200,
      startedAt: at("10:36:47"),
      endedAt: at("10:36:47"),
    });
    await recordAttempt(t.db, {
      ...base,
      userId: u1.id,
      userName: "user1",
      result: "success",
      startedAt: at("10:36:48"),
      endedAt: at("10:58:01"),
    });
    await recordAttempt(t.db, {
      ...base,
      role: "client",
      userId: u2.id,
      userName: "user2",
      result: "success",
      startedAt: at("09:00:00"),
      endedAt: at("10:00:00"),
    });
    await recordAttempt(t.db, {
      contractId: other.id,
      userName: "user1",
      role: "viewer",
      result: "success",
      startedAt: at("11:00:00"),
      endedAt: at("12:00:00"),
    });

    const all = await historyPage(t.db, c.id, {}, { limit: 10 });
    expect(all.rows.map((r) => r.startedAt.toISOString())).toEqual(
      ["10:36:48", "10:36:47", "10:17:00", "10:16:55", "09:00:00"].map((s) => at(s).toISOString()),
    );
    expect(all.users).toEqual([
      { userName: "user1", connectedSeconds: 33 * 60 + 36 },
      { userName: "user2", connectedSeconds: 3600 },
    ]);
    expect(all.nextCursor).toBeNull();

    const failures = await historyPage(t.db, c.id, { result: "failure" }, { limit: 10 });
    expect(failures.rows.map((r) => r.reasonCode)).toEqual([200200, 110200]);
    // The cumulative time is the user's, not just of the failure rows on the page.
    expect(failures.users).toEqual([{ userName: "user1", connectedSeconds: 2016 }]);

    const clients = await historyPage(t.db, c.id, { role: "client" }, { limit: 10 });
    expect(clients.rows.map((r) => r.userName)).toEqual(["user2"]);

    const first = await historyPage(t.db, c.id, { userName: "user1" }, { limit: 3 });
    expect(first.rows).toHaveLength(3);
    const second = await historyPage(
      t.db,
      c.id,
      { userName: "user1" },
      { limit: 3, cursor: first.nextCursor },
    );
    expect(second.rows.map((r) => r.startedAt.toISOString())).toEqual([at("10:16:55").toISOString()]);
    expect(second.nextCursor).toBeNull();

    const period = await historyPage(t.db, c.id, { from: at("10:17:00"), to: at("10:36:48") }, { limit: 10 });
    expect(period.rows).toHaveLength(2);

    const streamed = [];
    for await (const row of historyRows(t.db, c.id, {}, 2)) streamed.push(row.id);
    expect(streamed).toEqual(all.rows.map((r) => r.id));
  });

  it("keeps rows with equal start times apart by id across pages", async () => {
    const c = await makeContract(t.db);
    const same = at("12:00:00");
    for (let i = 0; i < 7; i++) {
      await recordAttempt(t.db, {
        contractId: c.id,
        userName: `u${i}`,
        role: "viewer",
        result: "failure",
        startedAt: same,
        endedAt: same,
      });
    }
    const seen: number[] = [];
    let cursor = null;
    do {
      const page: Awaited<ReturnType<typeof historyPage>> = await historyPage(
        t.db,
        c.id,
        {},
        { limit: 3, cursor },
      );
      seen.push(...page.rows.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });
});

describe("access history plans", () => {
  // Every filter the screen offers must be served in page order by an index: with sorting priced out,
  // a plan that still sorts means no index gives (started_at desc, id desc) for that filter, and a
  // page costs a scan of the whole filter (as it did while the indexes were DESC NULLS LAST).
  const filters: HistoryFilter[] = [];
  for (const role of [undefined, "viewer", "client"] as const)
    for (const result of [undefined, "success", "failure"] as const)
      for (const userName of [undefined, "user1"])
        filters.push({
          ...(role ? { role } : {}),
          ...(result ? { result } : {}),
          ...(userName ? { userName } : {}),
        });

  it.each(filters.map((f) => [JSON.stringify(f), f] as const))(
    "pages %s from an index, first and deep",
    async (_, filter) => {
      const c = await makeContract(t.db);
      for (const cursor of [null, { startedAt: at("10:00:00"), id: 1000 }]) {
        const query = historyPageQuery(t.db, c.id, { ...filter, from: at("00:00:00") }, cursor, 101).toSQL();
        const plan = await t.db.$client.begin(async (tx) => {
          await tx`set local enable_seqscan = off`;
          await tx`set local enable_bitmapscan = off`;
          await tx`set local enable_sort = off`;
          return tx.unsafe(`explain ${query.sql}`, query.params as never[]);
        });
        const text = plan.map((r) => String(r["QUERY PLAN"])).join("\n");
        expect(text).toMatch(/Index Scan/);
        // A Sort node, not a Merge Append's sort key (the partitions merged in order).
        expect(text).not.toMatch(/(^|-> +)Sort +\(/m);
        if (cursor) expect(text).toMatch(/Index Cond: .*ROW\(started_at, id\) </);
      }
    },
  );

  it("sums connection time from the rollup's key, not from the history", async () => {
    const c = await makeContract(t.db);
    const query = connectedTimeQuery(c.id, { role: "viewer" }, ["user1", "user2"]);
    const plan = await t.db.$client.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      await tx`set local enable_bitmapscan = off`;
      const { sql: text, params } = new PgDialect().sqlToQuery(query);
      return tx.unsafe(`explain ${text}`, params as never[]);
    });
    const text = plan.map((r) => String(r["QUERY PLAN"])).join("\n");
    expect(text).toMatch(/Index Scan using access_history_monthly_contract_id_user_name_month_role_pk/);
    // The history itself is not read at all: the open sessions come from access_history_open.
    expect(text).toMatch(/access_history_open_user/);
    expect(text).not.toMatch(/ on access_history_(\d{4}_\d{2}|default)\b/);
    expect(text).not.toMatch(/Seq Scan/);
  });
});
