import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { call, errorOf, expectStatus, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

describe("access history", () => {
  it("groups rows by user with the cumulative connection time, and explains each failure", async () => {
    const res = await call(h.app, "GET", "/history?user=user1&result=all&role=viewer", { token: h.token });
    expectStatus(res, 200);
    const [group] = res.json.groups;
    if (!group) expect.fail("no group for user1");
    expect(group.userName).toBe("user1");
    expect(group.connectedSeconds).toBe(33 * 60 + 36);
    expect(group.rows.map((r) => r.reason?.code ?? null)).toEqual([
      190500,
      null,
      200200,
      110200,
      null,
      110200,
    ]);
    const failure = group.rows.at(-1);
    if (!failure) expect.fail("no rows for user1");
    expect(failure).toMatchObject({
      result: "failure",
      durationSeconds: null,
      reason: { key: "password-mismatch-viewer", code: 110200, fix: "password" },
    });
    expect(failure.startedAt).toBe(failure.endedAt);
    expect(group.rows[1]?.durationSeconds).toBe(21 * 60 + 13);
  });

  it("gives the reason in Japanese on request", async () => {
    const res = await call(h.app, "GET", "/history?user=user1&result=failure&lang=ja", { token: h.token });
    expectStatus(res, 200);
    const messages = res.json.groups[0]?.rows.map((r) => r.reason?.message);
    expect(messages).toContain(
      "ビューアから送信されたパスワードと、サーバに登録されているパスワードが異なります。",
    );
  });

  it("pages with an opaque keyset cursor, covering every row exactly once", async () => {
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const res = await call(h.app, "GET", `/history?limit=2${q}`, { token: h.token });
      expectStatus(res, 200);
      for (const g of res.json.groups) for (const r of g.rows) ids.push(r.id);
      cursor = res.json.nextCursor;
    } while (cursor);
    expect(ids).toHaveLength(6); // asp1 only: fuji's row never shows
    expect(new Set(ids).size).toBe(6);
    const bad = await call(h.app, "GET", "/history?cursor=not-a-cursor", { token: h.token });
    expectStatus(bad, 400);
    expect(errorOf(bad).field).toBe("cursor");
  });

  it("filters by result and period", async () => {
    const success = await call(h.app, "GET", "/history?result=success", { token: h.token });
    expectStatus(success, 200);
    expect(success.json.groups[0]?.rows.every((r) => r.result === "success")).toBe(true);
    const period = await call(
      h.app,
      "GET",
      "/history?from=2026-11-16T00:00:00%2B09:00&to=2026-11-17T00:00:00%2B09:00",
      { token: h.token },
    );
    expectStatus(period, 200);
    expect(period.json.groups[0]?.rows.map((r) => r.reason?.code)).toEqual([190500]);
  });

  it("downloads CSV: UTF-8 with BOM, CRLF, English message ending in its code", async () => {
    const res = await call(h.app, "GET", "/history/csv?user=user1", { token: h.token });
    expectStatus(res, 200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect([...res.bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = res.text.split("\r\n"); // TextDecoder drops the BOM
    expect(lines[0]).toBe(
      "User name,Type,Start (Asia/Tokyo),End (Asia/Tokyo),Duration (s),Source address,MAC address,Result",
    );
    expect(lines).toContain(
      "user1,Viewer,2026-11-15 10:16:55,2026-11-15 10:16:55,,203.0.113.25,00:1b:44:11:3a:b7,Failure: The password sent from the viewer does not match the password registered with the server. (110200)",
    );
    expect(lines.at(-1)).toBe("");
    expect(lines).toHaveLength(8);
  });

  it("downloads CSV in Japanese as Shift_JIS, with the peer column on request", async () => {
    const res = await call(h.app, "GET", "/history/csv?user=user1&lang=ja&encoding=shift_jis&extended=true", {
      token: h.token,
    });
    expect(res.headers.get("content-type")).toBe("text/csv; charset=Shift_JIS");
    expect(res.bytes[0]).not.toBe(0xef);
    const text = iconv.decode(Buffer.from(res.bytes), "Shift_JIS");
    expect(text.split("\r\n")[0]).toContain("認証結果");
    expect(text).toContain(
      "失敗：サーバに登録されている端末認証情報と接続元端末の当該情報が異なるので接続できません。 (190500)",
    );
    expect(text).toContain(",成功,user1");
  });

  it("quotes fields per RFC 4180 and defuses spreadsheet formulas", async () => {
    const [contract] = await h.t.sql`select id from contracts where server_host = 'asp1'`;
    await h.t
      .sql`insert into access_history (contract_id, user_name, role, started_at, ended_at, result, peer_user_name)
      values (${contract?.id}, 'odd,"name"', 'client', '2026-11-17T00:00:00Z', '2026-11-17T00:01:00Z', 'success', '=cmd()')`;
    const res = await call(h.app, "GET", "/history/csv?role=client&extended=1", { token: h.token });
    expect(res.text).toContain(`"odd,""name""",Client,`);
    // OWASP: prefixed with ' and quoted.
    expect(res.text).toContain(`,"'=cmd()"\r\n`);
  });
});

describe("access history: extended display", () => {
  it("target: viewer rows only, each with the client it reached", async () => {
    const res = await call(h.app, "GET", "/history?user=user1&extended=target", { token: h.token });
    expectStatus(res, 200);
    expect(res.json.extended).toBe("target");
    const rows = res.json.groups.flatMap((g) => g.rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.role === "viewer")).toBe(true);
    for (const r of rows) expect(r).toHaveProperty("targetClient", r.peerUserName);
    expect(rows.some((r) => r.targetClient === "user1")).toBe(true);
    expect(rows.every((r) => !("sourceViewer" in r))).toBe(true);
  });

  it("source: client rows only, each with the viewer that reached it", async () => {
    const res = await call(h.app, "GET", "/history?extended=source&role=client", { token: h.token });
    expectStatus(res, 200);
    expect(res.json.extended).toBe("source");
    const rows = res.json.groups.flatMap((g) => g.rows);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.role === "client")).toBe(true);
    for (const r of rows) expect(r).toHaveProperty("sourceViewer", r.peerUserName);
    expect(rows.every((r) => !("targetClient" in r))).toBe(true);
  });

  it("without it, rows carry neither column and the page says so", async () => {
    const res = await call(h.app, "GET", "/history", { token: h.token });
    expectStatus(res, 200);
    expect(res.json.extended).toBeNull();
    const rows = res.json.groups.flatMap((g) => g.rows);
    expect(rows.some((r) => r.role === "client")).toBe(true);
    expect(rows.every((r) => !("targetClient" in r) && !("sourceViewer" in r))).toBe(true);
  });

  it("refuses a role that contradicts it, or an unknown value, naming extended", async () => {
    const clash = await call(h.app, "GET", "/history?extended=target&role=client", { token: h.token });
    expectStatus(clash, 400);
    expect(errorOf(clash).field).toBe("extended");
    const csvClash = await call(h.app, "GET", "/history/csv?extended=source&role=viewer", { token: h.token });
    expectStatus(csvClash, 400);
    expect(errorOf(csvClash).field).toBe("extended");
    const unknown = await call(h.app, "GET", "/history?extended=both", { token: h.token });
    expectStatus(unknown, 400);
    expect(errorOf(unknown).field).toBe("extended");
  });

  it("CSV: target adds the 'Target client' column to viewer rows only", async () => {
    const res = await call(h.app, "GET", "/history/csv?user=user1&extended=target", { token: h.token });
    const lines = res.text.split("\r\n");
    expect(lines[0]).toBe(
      "User name,Type,Start (Asia/Tokyo),End (Asia/Tokyo),Duration (s),Source address,MAC address,Result,Target client",
    );
    const records = lines.slice(1, -1);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((l) => l.split(",")[1] === "Viewer")).toBe(true);
    expect(records.some((l) => l.endsWith(",Success,user1"))).toBe(true);
    const ja = await call(h.app, "GET", "/history/csv?extended=source&lang=ja", { token: h.token });
    expect(ja.text.split("\r\n")[0]).toMatch(/,接続元ビューア$/);
  });

  it("is in the OpenAPI document", async () => {
    // The document is served beside the route table, not in it: read as what OpenAPI 3.1 promises.
    const doc = (await call(h.app, "GET", "/openapi.json")).json as {
      paths: Record<string, { get: { parameters: { name: string; schema: { enum?: string[] } }[] } }>;
      components: { schemas: Record<string, { properties: object }> };
    };
    const params = doc.paths["/history"]?.get.parameters ?? [];
    expect(params.find((p) => p.name === "extended")?.schema.enum).toEqual(["target", "source"]);
    expect(doc.components.schemas.HistoryRow?.properties).toHaveProperty("targetClient");
  });
});
