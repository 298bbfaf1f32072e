/**
 * The history's rollup (access_history_daily) equals the sum of the rows it summarises after every
 * kind of write that gives a row its end time or takes it away: a session's close, a stale lease's
 * expiry and takeover, the crash reaper, a lost race, direct inserts, rows moved out of the default
 * partition and a retention drop, by day and by month; and the page's cumulative time read from them
 * equals a scan's, for any period.
 */
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  closeSession,
  connectedSeconds,
  expireStaleSessions,
  failRecordedAttempt,
  type HistoryFilter,
  historyPartitions,
  maintainHistory,
  openSession,
  reapDeadNodes,
  recordAttempt,
  recordFailedAttempt,
  registerNode,
} from "../src/queries/index.js";
import { killNode, useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser, openLoginSession } from "./helpers.js";

const t = useTestDatabase();

/**
 * Every (contract, user, day or month, role) where a rollup and the rows disagree, and every open
 * session missing from access_history_open or left there; and how many daily keys there are.
 */
async function rollupDrift() {
  const drift = async (grain: "day" | "month") => {
    const table = grain === "day" ? sql`access_history_daily` : sql`access_history_monthly`;
    const key = grain === "day" ? sql`day` : sql`month`;
    const bucket =
      grain === "day"
        ? sql`(started_at at time zone 'UTC')::date`
        : sql`date_trunc('month', started_at at time zone 'UTC')::date`;
    return (await t.db.execute(sql`
      with summed as (
        select contract_id, user_name, ${bucket} as bucket, role,
               sum(access_history_micros(started_at, ended_at))::bigint as micros, count(*)::int as n
        from access_history where result = 'success' and ended_at is not null
        group by 1, 2, 3, 4
      ), rolled as (
        select contract_id, user_name, ${key} as bucket, role, connected_micros as micros, sessions as n
        from ${table} where connected_micros <> 0 or sessions <> 0
      )
      select ${grain}::text as grain, coalesce(s.user_name, r.user_name) as user_name,
             s.micros::text as rows_micros, r.micros::text as rollup_micros, (s.micros = r.micros and s.n = r.n) as same
      from summed s full join rolled r using (contract_id, user_name, bucket, role)
    `)) as unknown as {
      grain: string;
      user_name: string;
      rows_micros: string;
      rollup_micros: string;
      same: boolean | null;
    }[];
  };
  const days = await drift("day");
  const months = await drift("month");
  // The open sessions: exactly the successes with no end yet, as they are.
  const open = (await t.db.execute(sql`
    select 'open' as grain, coalesce(h.user_name, o.user_name) as user_name, null as rows_micros,
           null as rollup_micros, false as same
    from (select id, contract_id, user_name, role, started_at from access_history
          where result = 'success' and ended_at is null) h
    full join access_history_open o on o.history_id = h.id
      and (o.contract_id, o.user_name, o.role, o.started_at) = (h.contract_id, h.user_name, h.role, h.started_at)
    where h.id is null or o.history_id is null`)) as unknown as typeof days;
  return { drift: [...days, ...months, ...open].filter((r) => r.same !== true), keys: days.length };
}

async function expectExact(minKeys = 1) {
  const { drift, keys } = await rollupDrift();
  expect(drift).toEqual([]);
  expect(keys).toBeGreaterThanOrEqual(minKeys);
}

const ago = (ms: number) => new Date(Date.now() - ms);

describe("the history rollup", () => {
  it("follows a session's close, a stale lease's expiry and takeover, a lost race and a failure", async () => {
    const c = await makeContract(t.db);
    const [a, b, d] = await Promise.all(["ra", "rb", "rd"].map((n) => makeUser(t.db, c, n)));
    if (!a || !b || !d) throw new Error("users");

    // Open (no end yet): nothing summed, the row listed as open.
    const opened = await openLoginSession(t.db, c, a, "viewer", { startedAt: ago(3_600_000) });
    if (!opened.opened) throw new Error("not opened");
    await expectExact(0);
    const openRows = async () =>
      (
        (await t.db.execute(sql`select count(*)::int as n from access_history_open`)) as unknown as {
          n: number;
        }[]
      )[0]?.n;
    expect(await openRows()).toBe(1);
    // closeSession ends it.
    expect(await closeSession(t.db, opened.sessionId)).toBe(true);
    await expectExact(1);
    expect(await openRows()).toBe(0);

    // expireStaleSessions ends a silent lease at its last heartbeat.
    const stale = await openLoginSession(t.db, c, b, "client", { startedAt: ago(7_200_000) });
    if (!stale.opened) throw new Error("not opened");
    await t.db.execute(
      sql`update active_sessions set last_heartbeat_at = now() - interval '5 minutes' where id = ${stale.sessionId}`,
    );
    expect(await expireStaleSessions(t.db)).toBe(1);
    await expectExact(2);

    // openSession's takeover of a stale lease ends the old row in its transaction.
    const old = await openLoginSession(t.db, c, d, "viewer", { startedAt: ago(5_400_000) });
    if (!old.opened) throw new Error("not opened");
    await t.db.execute(
      sql`update active_sessions set last_heartbeat_at = now() - interval '5 minutes' where id = ${old.sessionId}`,
    );
    const next = await recordAttempt(t.db, {
      contractId: c.id,
      userId: d.id,
      userName: d.userName,
      role: "viewer",
      result: "success",
    });
    const taken = await openSession(t.db, {
      contractId: c.id,
      userId: d.id,
      userName: d.userName,
      role: "viewer",
      sourceAddress: null,
      relayInstance: "r",
      historyId: next.id,
    });
    expect(taken).not.toBeNull();
    await expectExact(3);

    // A success turned into a lost race's failure, and failures recorded: nothing to add.
    const lost = await recordAttempt(t.db, {
      contractId: c.id,
      userId: a.id,
      userName: a.userName,
      role: "client",
      result: "success",
      startedAt: ago(60_000),
      endedAt: ago(1_000),
    });
    await expectExact(4);
    await failRecordedAttempt(t.db, lost.id, "duplicate-client", 30200);
    await recordFailedAttempt(
      t.db,
      {
        contractId: c.id,
        userId: a.id,
        userName: a.userName,
        role: "viewer",
        result: "failure",
        startedAt: new Date(),
      },
      { role: "viewer" },
    );
    await expectExact(3);
  });

  it("follows the crash reaper ending a dead relay's sessions", async () => {
    const c = await makeContract(t.db);
    const users = await Promise.all([0, 1, 2].map((i) => makeUser(t.db, c, `crash${i}`)));
    const node = await registerNode(t.db, { id: "rollup-dead", internalUrl: "ws://127.0.0.1:1" });
    for (const [i, u] of users.entries()) {
      const s = await openLoginSession(t.db, c, u, i === 1 ? "client" : "viewer", {
        startedAt: ago((i + 1) * 1_800_000),
        lease: { relayInstance: "rollup-dead" },
      });
      if (!s.opened) throw new Error("not opened");
    }
    await killNode(t, node);
    const before = (await rollupDrift()).keys;
    const reaped = await reapDeadNodes(t.db, "rollup-self");
    expect(reaped.sessions).toBe(3);
    await expectExact(before + 3);
  });

  it("follows rows moved out of the default partition and a retention drop", async () => {
    const c = await makeContract(t.db);
    const u = await makeUser(t.db, c, "keeper");
    // Rows of months no partition holds yet (the default catches them), closed in the insert itself.
    const old = new Date(Date.UTC(2019, 2, 10, 23, 30));
    const older = new Date(Date.UTC(2019, 1, 28, 23, 59, 59, 500));
    for (const at of [old, older]) {
      await recordAttempt(t.db, {
        contractId: c.id,
        userId: u.id,
        userName: u.userName,
        role: "viewer",
        result: "success",
        startedAt: at,
        endedAt: new Date(at.getTime() + 3_723_456),
      });
    }
    await expectExact(2);
    // A pass (as of April 2019, so that retention keeps them) makes their months and moves them in;
    // the rollup stays exact through the move.
    const moved = await maintainHistory(t.db, { now: new Date(Date.UTC(2019, 3, 1)) });
    expect(moved.created).toEqual(
      expect.arrayContaining(["access_history_2019_02", "access_history_2019_03"]),
    );
    const [inDefault] = (await t.db.execute(
      sql`select count(*)::int as n from access_history_default where user_name = 'keeper'`,
    )) as unknown as { n: number }[];
    expect(inDefault?.n).toBe(0);
    await expectExact(2);
    const keeperKeys = async () =>
      (
        (await t.db.execute(
          sql`select count(*)::int as n from access_history_daily where contract_id = ${c.id}`,
        )) as unknown as { n: number }[]
      )[0]?.n;
    expect(await keeperKeys()).toBe(2);

    // Every contract's retention (24 months by default) has passed 2019: both months go, whole, and
    // their days in the rollup with them; the months the retention still covers stay.
    const dropped = await maintainHistory(t.db, { now: new Date() });
    expect(dropped.dropped).toEqual(
      expect.arrayContaining(["access_history_2019_02", "access_history_2019_03"]),
    );
    const names = (await historyPartitions(t.db)).map((p) => p.name);
    expect(names).not.toContain("access_history_2019_03");
    expect(names).toContain("access_history_default");
    expect(await keeperKeys()).toBe(0);
    const [months] = (await t.db.execute(
      sql`select count(*)::int as n from access_history_monthly where contract_id = ${c.id}`,
    )) as unknown as { n: number }[];
    expect(months?.n).toBe(0);
    await expectExact(0);
  });
});

describe("the cumulative connection time", () => {
  it("equals the sum over the rows for any period, user and role, open sessions included", async () => {
    const c = await makeContract(t.db);
    const names = ["p0", "p1", "p2"];
    const users = await Promise.all(names.map((n) => makeUser(t.db, c, n)));
    // Sessions every 37 minutes from late July to early October (UTC), across month ends and
    // midnights, a quarter of them failures; and one still open.
    const base = Date.UTC(2026, 6, 28);
    const end = Date.UTC(2026, 9, 4);
    for (const [k, u] of users.entries()) {
      await t.db.execute(sql`
        insert into access_history (contract_id, user_id, user_name, role, started_at, ended_at, result)
        select ${c.id}, ${u.id}, ${u.userName}, (case when i % 3 = 0 then 'client' else 'viewer' end)::role, at,
          at + case when i % 4 = 3 then interval '0' else (1 + (i * 7919) % 5400) * interval '1 second' + (i % 997) * interval '1 microsecond' end,
          (case when i % 4 = 3 then 'failure' else 'success' end)::attempt_result
        from generate_series(0, ${Math.floor((end - base) / 2_220_000)}) as i,
          lateral (select ${new Date(base).toISOString()}::timestamptz + (i * 37 + ${k * 11}) * interval '1 minute' as at) as t`);
    }
    const open = await openLoginSession(t.db, c, users[0] ?? { id: "", userName: "" }, "viewer", {
      startedAt: new Date(Date.UTC(2026, 8, 1, 0, 0, 1)),
    });
    expect(open.opened).toBe(true);
    await expectExact(100);

    const scan = async (filter: HistoryFilter) => {
      const rows = (await t.db.execute(sql`
        select user_name, round(extract(epoch from sum(coalesce(ended_at, now()) - started_at)))::float8 as s
        from access_history
        where contract_id = ${c.id} and result = 'success'
          ${filter.role ? sql`and role = ${filter.role}` : sql``}
          ${filter.from ? sql`and started_at >= ${filter.from.toISOString()}::timestamptz` : sql``}
          ${filter.to ? sql`and started_at < ${filter.to.toISOString()}::timestamptz` : sql``}
        group by user_name`)) as unknown as { user_name: string; s: number }[];
      return new Map(rows.map((r) => [r.user_name, r.s]));
    };

    const instant = fc.integer({ min: base - 3 * 86_400_000, max: end + 3 * 86_400_000 });
    await fc.assert(
      fc.asyncProperty(
        fc.option(instant, { nil: undefined }),
        fc.option(instant, { nil: undefined }),
        fc.constantFrom(undefined, "viewer" as const, "client" as const),
        fc.constantFrom("instant", "midnight", "month"),
        async (a, b, role, edge) => {
          // A period's ends anywhere, on a midnight (no partial day) or on a month's start (no partial
          // month): each of the rollups' parts alone and together.
          const snap = (x: number | undefined) => {
            if (x === undefined || edge === "instant") return x;
            if (edge === "midnight") return Math.round(x / 86_400_000) * 86_400_000;
            const d = new Date(x);
            return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + (d.getUTCDate() > 15 ? 1 : 0), 1);
          };
          const [lo, hi] =
            a !== undefined && b !== undefined && a > b ? [snap(b), snap(a)] : [snap(a), snap(b)];
          const filter: HistoryFilter = {
            ...(role ? { role } : {}),
            ...(lo !== undefined ? { from: new Date(lo) } : {}),
            ...(hi !== undefined ? { to: new Date(hi) } : {}),
          };
          // The scan first: the open session's time only grows, and seconds are compared rounded.
          const expected = await scan(filter);
          const got = await connectedSeconds(t.db, c.id, filter, names);
          for (const name of names) {
            const want = expected.get(name) ?? 0;
            expect(Math.abs((got.get(name) ?? 0) - want)).toBeLessThanOrEqual(name === "p0" ? 1 : 0);
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
