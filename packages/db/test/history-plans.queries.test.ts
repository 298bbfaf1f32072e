/**
 * Query plans of the history at scale: on a loaded, analysed history of fourteen months, each query
 * the history page and its CSV run (first page, deep keyset page, one user, failures only, a period,
 * a role; the cumulative time; the CSV of a year) reads its index on the partitions of its range only
 * (EXPLAIN (FORMAT JSON)): no sequential scan of the history or the rollup, no partition outside the
 * range, the default partition only where the range reaches past the months made.
 */
import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import {
  connectedTimeQuery,
  ensureHistoryPartitions,
  type HistoryCursor,
  type HistoryFilter,
  type HistoryPartition,
  historyCsvRows,
  historyKeptFrom,
  historyPageQuery,
  historyPartitions,
} from "../src/queries/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract } from "./helpers.js";

const now = new Date();
const keptFrom = historyKeptFrom(24, now);
const loadFrom = new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth() - 1, 1));

let bigId = "";
const t = useTestDatabase(async (t) => {
  await ensureHistoryPartitions(t.db, keptFrom, new Date(now.getTime() + 90 * 86_400_000));
  const big = await makeContract(t.db, "plans-big");
  const small = await makeContract(t.db, "plans-small");
  // 84,000 rows of the big contract over fourteen months (200 users), 8,400 of another.
  for (const [contract, n] of [
    [big, 84_000],
    [small, 8_400],
  ] as const) {
    await t.db.execute(sql`
      insert into access_history (contract_id, user_name, role, started_at, ended_at, result, reason_key, reason_code)
      select ${contract.id}, 'user' || (i * 7 % 200), (case when i % 5 < 3 then 'viewer' else 'client' end)::role,
        s, case when i % 10 < 7 then s + (i % 300) * interval '1 minute' else s end,
        (case when i % 10 < 7 then 'success' else 'failure' end)::attempt_result,
        case when i % 10 >= 7 then 'password-mismatch-viewer' end, case when i % 10 >= 7 then 110200 end
      from generate_series(1, ${n}) as i,
        lateral (select ${loadFrom.toISOString()}::timestamptz
          + (i::float8 / ${n}) * (${now.toISOString()}::timestamptz - ${loadFrom.toISOString()}::timestamptz) as s) as at`);
  }
  // The rollups of sixty other contracts beside them, as a shared database holds: a contract's sums
  // are a small part of each rollup, read by its key.
  await t.db.execute(sql`
    with others as (
      insert into contracts (contract_code, name, model, server_host)
      select 'plans-other-' || i, 'Other', 'legacy', 'plans-other-' || i from generate_series(1, 60) as i
      returning id
    ), monthly as (
      insert into access_history_monthly (contract_id, user_name, month, role, connected_micros, sessions)
      select o.id, 'user' || u, (date_trunc('month', now()) - m * interval '1 month')::date, r::role, 3600000000, 1
      from others o, generate_series(0, 199) as u, generate_series(0, 13) as m, unnest(array['viewer', 'client']) as r
    )
    insert into access_history_daily (contract_id, user_name, day, role, connected_micros, sessions)
    select o.id, 'user' || u, (now() - d * interval '1 day')::date, r::role, 3600000000, 1
    from others o, generate_series(0, 49) as u, generate_series(0, 59) as d, unnest(array['viewer', 'client']) as r`);
  await t.db.execute(sql`vacuum analyze access_history`);
  await t.db.execute(sql`analyze access_history_daily`);
  await t.db.execute(sql`analyze access_history_monthly`);
  bigId = big.id;
});

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  Plans?: PlanNode[];
}

function nodesOf(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodesOf)];
}

async function planOf(text: string, params: unknown[]): Promise<PlanNode[]> {
  const [row] = await t.db.$client.unsafe(`explain (format json) ${text}`, params as never[]);
  const plan = (row?.["QUERY PLAN"] as { Plan: PlanNode }[] | undefined)?.[0]?.Plan;
  if (!plan) throw new Error("no plan");
  return nodesOf(plan);
}

/** The partitions a period [from, to] touches: the months that overlap it, and the default when the months do not cover it. */
function partitionsOf(parts: HistoryPartition[], from: Date, to: Date | null): Set<string> {
  const months = parts.filter((p) => p.from && p.to && p.to > from && (to === null || p.from <= to));
  const covered =
    to !== null && months.some((p) => p.from && p.from <= from) && months.some((p) => p.to && p.to > to);
  return new Set([...months.map((p) => p.name), ...(covered ? [] : ["access_history_default"])]);
}

/** The partitions holding no row (the months before the load): reading one whole costs nothing. */
async function emptyPartitions(): Promise<Set<string>> {
  const parts = await historyPartitions(t.db);
  const empty = new Set<string>();
  for (const p of parts) {
    const [row] = await t.db.$client.unsafe(`select not exists (select 1 from "${p.name}") as empty`);
    if (row?.empty) empty.add(p.name);
  }
  return empty;
}

async function expectIndexedWithin(nodes: PlanNode[], allowed: Set<string>) {
  const scans = nodes.filter((n) => n["Relation Name"]?.startsWith("access_history"));
  expect(scans.length).toBeGreaterThan(0);
  const empty = await emptyPartitions();
  // The range holds rows: the plan is the one a loaded history gets.
  expect([...allowed].filter((name) => !empty.has(name)).length).toBeGreaterThan(0);
  for (const scan of scans) {
    const relation = scan["Relation Name"] ?? "";
    // The planner may read an empty month whole (it has no pages); a month with rows never.
    if (!empty.has(relation))
      expect(scan["Node Type"], `${relation} read by ${scan["Node Type"]}`).toMatch(
        /^(Index Scan|Index Only Scan|Bitmap Heap Scan)$/,
      );
    if (!/^access_history_(daily|monthly|open)$/.test(scan["Relation Name"] ?? ""))
      expect(allowed, `${scan["Relation Name"]} is outside the range`).toContain(scan["Relation Name"]);
  }
  for (const n of nodes)
    if (n["Node Type"] === "Seq Scan")
      expect(empty, `Seq Scan on ${n["Relation Name"]}`).toContain(n["Relation Name"]);
}

describe("history query plans on a loaded history", () => {
  const page = (filter: HistoryFilter, cursor: HistoryCursor | null) =>
    historyPageQuery(t.db, bigId, { ...filter, from: filter.from ?? keptFrom }, cursor, 101).toSQL();
  const month = (offset: number) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  const midMonth = new Date(month(-6).getTime() + 14 * 86_400_000);
  const cases: [string, HistoryFilter, HistoryCursor | null][] = [
    ["the first page", {}, null],
    ["a deep keyset page", {}, { startedAt: midMonth, id: 1 }],
    ["one user", { userName: "user7" }, null],
    ["one user, deep", { userName: "user7" }, { startedAt: midMonth, id: 1 }],
    ["failures only", { result: "failure" }, null],
    ["failures only, deep", { result: "failure" }, { startedAt: midMonth, id: 1 }],
    ["a period", { from: month(-4), to: month(-2) }, null],
    [
      "a period, deep",
      { from: month(-4), to: month(-2) },
      { startedAt: new Date(month(-3).getTime() + 86_400_000), id: 1 },
    ],
    ["clients", { role: "client" }, null],
    [
      "viewers' successes in a period",
      { role: "viewer", result: "success", from: month(-9), to: month(-8) },
      null,
    ],
  ];

  it.each(cases)("%s reads its index on its months only", async (_, filter, cursor) => {
    const parts = await historyPartitions(t.db);
    const query = page(filter, cursor);
    const from = filter.from ?? keptFrom;
    const to = cursor ? cursor.startedAt : filter.to ? new Date(filter.to.getTime() - 1) : null;
    const allowed = partitionsOf(parts, from, to);
    const nodes = await planOf(query.sql, query.params);
    await expectIndexedWithin(nodes, allowed);
    // And the months outside really are left out: a period prunes all but its own.
    if (filter.to) expect(allowed.size).toBeLessThanOrEqual(3);
    if (cursor) expect(allowed.has("access_history_default")).toBe(false);
  });

  it.each([
    ["the whole retention", {}],
    ["a period of whole days", { from: month(-4), to: month(-2) }],
    [
      "a period with partial days, one role",
      {
        from: new Date(month(-4).getTime() + 3_600_000),
        to: new Date(month(-2).getTime() + 7_200_000),
        role: "viewer" as const,
      },
    ],
  ] as [string, HistoryFilter][])(
    "the cumulative time over %s reads the rollup and the edges' rows by index",
    async (_, f) => {
      const parts = await historyPartitions(t.db);
      const filter = { ...f, from: f.from ?? keptFrom };
      const names = Array.from({ length: 40 }, (_, i) => `user${i * 5}`);
      const { sql: text, params } = new PgDialect().sqlToQuery(connectedTimeQuery(bigId, filter, names));
      const nodes = await planOf(text, params);
      await expectIndexedWithin(
        nodes,
        partitionsOf(parts, filter.from, filter.to ? new Date(filter.to.getTime() - 1) : null),
      );
      expect(nodes.some((n) => n["Relation Name"] === "access_history_monthly")).toBe(true);
      // Days only around a period's partly covered months.
      const monthAligned =
        filter.from.getTime() === month(-24).getTime() ||
        (filter.from.getUTCDate() === 1 && filter.from.getUTCHours() === 0);
      expect(nodes.some((n) => n["Relation Name"] === "access_history_daily")).toBe(!monthAligned);
    },
  );

  it("the CSV of a year reads the contract's index on that year's months", async () => {
    const parts = await historyPartitions(t.db);
    const from = month(-12);
    const to = month(0);
    const [row] = await t.db
      .$client`explain (format json) ${historyCsvRows(t.db, bigId, { from, to }, "Asia/Tokyo")}`;
    const plan = (row?.["QUERY PLAN"] as { Plan: PlanNode }[] | undefined)?.[0]?.Plan;
    if (!plan) throw new Error("no plan");
    const nodes = nodesOf(plan);
    const allowed = partitionsOf(parts, from, new Date(to.getTime() - 1));
    expect(allowed.size).toBe(12);
    await expectIndexedWithin(nodes, allowed);
  });
});
