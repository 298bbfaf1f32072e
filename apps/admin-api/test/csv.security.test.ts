/**
 * No formula reaches a spreadsheet: whatever the database holds (rows written straight into it, as a
 * relay without input checks or an old version could have), every cell of the history CSV, in UTF-8
 * and in Shift_JIS, and of the grouping CSV, reads as text. OWASP's rule: a cell starting with = + - @
 * tab or CR is prefixed with ' (and quoted). Cells are checked as a CSV reader sees them (csv-parse).
 */
import { parse } from "csv-parse/sync";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { call, expectStatus, readyAdmin, useHarness } from "./helpers.js";

/** OWASP's six, written out here rather than taken from the code under test. */
const DANGEROUS = ["=", "+", "-", "@", "\t", "\r"];
const startsDangerous = (cell: string) => DANGEROUS.some((ch) => cell.startsWith(ch));

const h = useHarness(async (h) => {
  const [contract] = await h.t.sql`select id from contracts where server_host = 'asp1'`;
  return { token: await readyAdmin(h.app), contractId: contract?.id as string };
});

interface Planted {
  userName: string;
  mac: string | null;
  sourceAddress: string | null;
  peerUserName: string | null;
  reasonKey: string | null;
}

/** Rows straight into the database, in a window of their own so a download can ask for just them. */
async function plant(rows: Planted[], day: string) {
  for (const [i, r] of rows.entries()) {
    const at = new Date(`${day}T00:00:00Z`);
    at.setUTCSeconds(i);
    const failed = r.reasonKey !== null;
    await h.t.sql`insert into access_history
      (contract_id, user_name, role, started_at, ended_at, result, source_address, mac, reason_key, reason_code, peer_user_name)
      values (${h.contractId}, ${r.userName}, 'viewer', ${at.toISOString()},
        ${new Date(at.getTime() + (failed ? 0 : 90_000)).toISOString()},
        ${failed ? "failure" : "success"}, ${r.sourceAddress}, ${r.mac}, ${r.reasonKey}, ${failed ? 110200 : null},
        ${r.peerUserName})`;
  }
}

const next = (day: string) => new Date(new Date(`${day}T00:00:00Z`).getTime() + 86_400_000).toISOString();

/** The day's rows as CSV, parsed: UTF-8 in English or Shift_JIS in Japanese, with the peer column. */
async function download(day: string, encoding: "utf-8" | "shift_jis"): Promise<string[][]> {
  const lang = encoding === "utf-8" ? "en" : "ja";
  const query = `from=${encodeURIComponent(`${day}T00:00:00Z`)}&to=${encodeURIComponent(next(day))}`;
  const res = await call(h.app, "GET", `/history/csv?${query}&extended=1&lang=${lang}&encoding=${encoding}`, {
    token: h.token,
  });
  expectStatus(res, 200);
  const text =
    encoding === "utf-8"
      ? new TextDecoder("utf-8").decode(res.bytes)
      : new TextDecoder("shift_jis").decode(res.bytes);
  return parse(text.replace(/^\uFEFF/, ""), { relax_column_count: false });
}

describe("history CSV: every cell a spreadsheet would run is neutralised", () => {
  const day = "2031-01-07";
  const planted: Planted[] = DANGEROUS.map((ch, i) => ({
    userName: `${ch}HYPERLINK("//x.io/${i}")`,
    mac: `${ch}cmd|' /C calc'!A${i}`,
    sourceAddress: `${ch}1+2`,
    peerUserName: `${ch}SUM(A1:A${i})`,
    reasonKey: i % 2 === 0 ? `${ch}not-a-reason` : null,
  }));
  beforeAll(() => plant(planted, day));

  it.each(["utf-8", "shift_jis"] as const)(
    "%s: each planted value is exported as ' + the value, nothing starts a formula",
    async (encoding) => {
      const records = await download(day, encoding);
      expect(records).toHaveLength(1 + planted.length);
      const [header, ...rows] = records;
      expect(header).toHaveLength(9);
      for (const cell of records.flat()) expect(startsDangerous(cell), JSON.stringify(cell)).toBe(false);
      for (const p of planted) {
        const row = rows.find((r) => r[0] === `'${p.userName}`);
        expect(row, p.userName).toBeDefined();
        expect(row?.[5]).toBe(`'${p.sourceAddress}`);
        expect(row?.[6]).toBe(`'${p.mac}`);
        expect(row?.[8]).toBe(`'${p.peerUserName}`);
      }
    },
  );

  it("property: for any stored text, no exported cell starts with a dangerous character (both encodings)", async () => {
    // Text PostgreSQL can store (no NUL), often led by a dangerous character.
    const text = fc
      .oneof(
        fc.string({ unit: "grapheme", maxLength: 12 }),
        fc.tuple(fc.constantFrom(...DANGEROUS), fc.string({ maxLength: 12 })).map(([d, s]) => d + s),
      )
      .map((s) => s.replaceAll("\u0000", ""));
    const row = fc.record({
      userName: text.filter((s) => s.length > 0),
      mac: fc.option(text),
      sourceAddress: fc.option(text),
      peerUserName: fc.option(text),
      reasonKey: fc.option(text),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 4 }), async (rows) => {
        const runDay = new Date(Date.UTC(2032, 0, 1 + run++)).toISOString().slice(0, 10);
        await plant(rows, runDay);
        for (const encoding of ["utf-8", "shift_jis"] as const) {
          const records = await download(runDay, encoding);
          expect(records).toHaveLength(1 + rows.length);
          for (const cell of records.flat()) expect(startsDangerous(cell), JSON.stringify(cell)).toBe(false);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("grouping CSV: a user name a spreadsheet would run is neutralised, and imports back", () => {
  it("exports '=… for a name starting with =, and a delete import of that export removes the link", async () => {
    const names = DANGEROUS.map((ch, i) => `${ch}evil${i}`);
    for (const name of names) {
      await h.t.sql`insert into users (contract_id, server_host, user_name, password_hash)
        values (${h.contractId}, 'asp1', ${name}, '$argon2id$not-a-real-hash')`;
    }
    const added = await call(h.app, "POST", "/groups/links", {
      token: h.token,
      body: { links: names.map((name) => ({ viewer: name, client: "office.pc" })) },
    });
    expect(added.json).toEqual({ added: names.length, removed: 0 });
    const exported = await call(h.app, "GET", "/groups/csv", { token: h.token });
    const records: string[][] = parse(exported.text.replace(/^\uFEFF/, ""));
    for (const cell of records.flat()) expect(startsDangerous(cell), JSON.stringify(cell)).toBe(false);
    for (const name of names) expect(records).toContainEqual([`'${name}`, "office.pc"]);
    const removed = await call(h.app, "POST", "/groups/csv?mode=delete", {
      token: h.token,
      raw: exported.text,
      headers: { "content-type": "text/csv" },
    });
    expectStatus(removed, 200);
    expect(removed.json.removed).toBeGreaterThanOrEqual(names.length);
    const after = await call(h.app, "GET", "/groups", { token: h.token });
    expectStatus(after, 200);
    expect(after.json.links).toEqual([]);
  });
});
