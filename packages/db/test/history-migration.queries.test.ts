/**
 * Migration 0005 moves an existing database's history into the partitioned table without losing a
 * row: rows written under the old schema (0000–0004), migrated, all there, byte for byte, with their
 * ids, the identity carrying on after them, the rollup summing them, the indexes on every partition.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as drizzleMigrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { describe, expect, inject, it } from "vitest";
import { migrate, migrationsFolder } from "../src/client.js";
import { connectedTotals } from "../src/testing/rollups.js";

describe("migration 0005 (history partitions)", () => {
  it("keeps every row of a history written under the old schema", async () => {
    const adminUrl = inject("tsunagiDbAdminUrl");
    const name = `${inject("tsunagiDbPrefix")}_mig0005`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    const dir = await mkdtemp(join(tmpdir(), "tsunagi-mig-"));
    await admin.unsafe(`create database "${name}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      // The migrations up to 0004 only, as a database deployed before this one has them.
      await cp(migrationsFolder, dir, { recursive: true });
      const journal = JSON.parse(await readFile(join(dir, "meta/_journal.json"), "utf8"));
      journal.entries = journal.entries.filter((e: { tag: string }) => e.tag < "0005");
      await writeFile(join(dir, "meta/_journal.json"), JSON.stringify(journal));
      await drizzleMigrate(drizzle(sql), { migrationsFolder: dir });
      expect(
        await sql`select relkind from pg_class where relname = 'access_history'`.then((r) => r[0]?.relkind),
      ).toBe("r");

      const [contract] = await sql`insert into contracts (contract_code, name, model, server_host)
        values ('M0005', 'Migrated', 'legacy', 'mig') returning id`;
      const [user] =
        await sql`insert into users (contract_id, server_host, user_name, password_hash, viewer_product)
        values (${contract?.id}, 'mig', 'olduser', 'x', 'terminal-ndl-s') returning id`;
      // Two years and a bit of rows across month ends: successes, failures, info, open sessions.
      await sql`insert into access_history
          (contract_id, user_id, user_name, role, started_at, ended_at, source_address, mac, result,
           reason_key, reason_code, product, edition, peer_user_name, session_id)
        select ${contract?.id}, case when i % 5 = 0 then null else ${user?.id}::uuid end, 'user' || (i % 9),
          (case when i % 3 = 0 then 'client' else 'viewer' end)::role,
          timestamptz '2024-10-31 23:00:00+00' + i * interval '61 minutes 7 seconds',
          case when i % 97 = 0 then null
               when i % 4 = 3 then timestamptz '2024-10-31 23:00:00+00' + i * interval '61 minutes 7 seconds'
               else timestamptz '2024-10-31 23:00:00+00' + i * interval '61 minutes 7 seconds' + (i % 173) * interval '1 minute 0.5 seconds' end,
          '203.0.113.' || (i % 250), null,
          (case when i % 97 = 0 then 'success' when i % 8 = 7 then 'info' when i % 4 = 3 then 'failure' else 'success' end)::attempt_result,
          case when i % 4 = 3 then 'password-mismatch-viewer' end, case when i % 4 = 3 then 110200 end,
          'usb-ndl', 'standard', 'peer' || (i % 3), case when i % 97 = 0 then gen_random_uuid() end
        from generate_series(1, 18000) as i`;
      const digest = () =>
        sql`select count(*)::int as n, max(id)::int as max,
              md5(string_agg(h::text, '|' order by id)) as md5 from access_history h`.then((r) => r[0]);
      const before = await digest();
      expect(before?.n).toBe(18000);

      await migrate(url.toString());

      expect(await digest()).toEqual(before);
      expect(
        await sql`select relkind from pg_class where relname = 'access_history'`.then((r) => r[0]?.relkind),
      ).toBe("p");
      // Every row is in its month's partition, none in the default one.
      const [{ n: inDefault } = { n: -1 }] = await sql`select count(*)::int as n from access_history_default`;
      expect(inDefault).toBe(0);
      const months =
        await sql`select count(*)::int as n from pg_inherits where inhparent = 'access_history'::regclass`;
      expect(months[0]?.n).toBeGreaterThanOrEqual(26);
      // Each partition has the four indexes and the key.
      const bare = await sql`
        select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'access_history'::regclass
          and (select count(*) from pg_index x where x.indrelid = c.oid) <> 5`;
      expect(bare).toEqual([]);
      // The identity carries on after the copied ids.
      const [next] = await sql`insert into access_history (contract_id, user_name, role, result)
        values (${contract?.id}, 'after', 'viewer', 'failure') returning id`;
      expect(Number(next?.id)).toBe(18001);
      // The rollup holds exactly the ended successes.
      const sums = await connectedTotals(sql);
      expect(sums.rollup).toBe(sums.rows);
      expect(sums.monthly).toBe(sums.rows);
      // And the sessions still open are listed as such.
      const [open] = await sql`select
          (select count(*)::int from access_history_open) as listed,
          (select count(*)::int from access_history where result = 'success' and ended_at is null) as rows`;
      expect(open?.listed).toBe(open?.rows);
      expect(open?.rows).toBeGreaterThan(0);
      expect(Number(sums?.rows)).toBeGreaterThan(0);
    } finally {
      await sql.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end({ timeout: 5 });
      await rm(dir, { recursive: true, force: true });
    }
  });
});
