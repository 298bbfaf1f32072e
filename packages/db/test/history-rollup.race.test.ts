/**
 * The rollup under concurrent writes: many sessions of the same users, roles and day ended at once,
 * each in its own transaction on its own connection, all adding to the same rollup rows (the first
 * ones racing to insert them); and a reaper-like statement ending many at once beside single closes.
 * The sums come out exact and nothing deadlocks.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { recordAttempt } from "../src/queries/index.js";
import { useTestDatabase } from "../src/testing/index.js";
import { makeContract, makeUser } from "./helpers.js";

const t = useTestDatabase();

describe("the history rollup under concurrent writes", () => {
  it("sums sessions ended at once into the same day's rows exactly", async () => {
    const c = await makeContract(t.db);
    const users = await Promise.all(["race0", "race1"].map((n) => makeUser(t.db, c, n)));
    const day = Date.UTC(2026, 10, 3, 8);
    const ids: number[] = [];
    for (let i = 0; i < 60; i++) {
      const u = users[i % 2];
      if (!u) continue;
      const row = await recordAttempt(t.db, {
        contractId: c.id,
        userId: u.id,
        userName: u.userName,
        role: i % 3 === 0 ? "client" : "viewer",
        result: "success",
        startedAt: new Date(day + i * 60_000),
      });
      ids.push(row.id);
    }
    const [single, batch] = [ids.slice(0, 40), ids.slice(40)];
    // Forty closes one by one, all at once, and one statement ending the other twenty beside them.
    await Promise.all([
      ...single.map((id, i) =>
        t.db.execute(
          sql`update access_history set ended_at = started_at + ${`${100 + i} seconds`}::interval where id = ${id}`,
        ),
      ),
      t.db.execute(
        sql`update access_history set ended_at = started_at + interval '1 hour'
            where id = any(${sql.param(batch)}::bigint[]) and ended_at is null`,
      ),
    ]);
    const rows = (await t.db.execute(sql`
      select
        (select sum(connected_micros)::text from access_history_daily where contract_id = ${c.id}) as daily,
        (select sum(connected_micros)::text from access_history_monthly where contract_id = ${c.id}) as monthly,
        (select sum(sessions)::int from access_history_daily where contract_id = ${c.id}) as sessions,
        (select count(*)::int from access_history_open where contract_id = ${c.id}) as open,
        (select sum(access_history_micros(started_at, ended_at))::text from access_history
          where contract_id = ${c.id}) as rows
    `)) as unknown as { daily: string; monthly: string; sessions: number; open: number; rows: string }[];
    const sums = rows[0];
    // 40 closes of 100..139 s and 20 of an hour.
    const expected = (40 * 100 + (39 * 40) / 2 + 20 * 3600) * 1_000_000;
    expect(sums).toEqual({
      daily: String(expected),
      monthly: String(expected),
      sessions: 60,
      open: 0,
      rows: String(expected),
    });
  });
});
