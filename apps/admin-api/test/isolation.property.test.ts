/**
 * Tenant isolation as a property over every route: whatever sequence of requests an admin of `fuji`
 * sends, naming asp1's users, links and sessions, nothing of asp1 is read (no asp1-only name, id or
 * code in any response) and nothing of asp1 changes (its rows are byte-for-byte the same after).
 */
import { DEMO } from "@tsunagi/fixtures";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, callRaw, readyAdmin, useHarness } from "./helpers.js";

const h = useHarness(async (h) => {
  const fujiToken = await readyAdmin(h.app, DEMO.fuji.serverHost, DEMO.fuji.adminLogin);
  const [u] = await h.t
    .sql`select id, contract_id from users where server_host = 'asp1' and user_name = 'usb.ndl'`;
  const [s] = await h.t
    .sql`insert into active_sessions (contract_id, user_id, user_name, role, relay_instance, history_id)
    values (${u?.contract_id}, ${u?.id}, 'usb.ndl', 'viewer', 'r1', 1) returning id`;
  const asp1Ids = (await h.t.sql`select id from users where server_host = 'asp1'`).map((r) => r.id as string);
  return { fujiToken, asp1SessionId: s?.id as string, asp1Ids };
});

/** Everything asp1 owns, as text: compared before and after the run. */
async function asp1State(): Promise<string> {
  const [c] = await h.t.sql`select id from contracts where server_host = 'asp1'`;
  const id = c?.id;
  const parts = await Promise.all([
    h.t.sql`select * from contracts where id = ${id}`,
    h.t.sql`select * from users where contract_id = ${id} order by id`,
    h.t
      .sql`select d.* from device_registrations d join users u on u.id = d.user_id where u.contract_id = ${id} order by d.id`,
    h.t.sql`select * from group_links where contract_id = ${id} order by viewer_user_id, client_user_id`,
    h.t.sql`select * from access_history where contract_id = ${id} order by id`,
    h.t.sql`select * from active_sessions where contract_id = ${id} order by id`,
    h.t.sql`select * from admin_audit where contract_id = ${id} order by id`,
    h.t
      .sql`select id, password_hash, failed_count, locked_until from admin_accounts where contract_id = ${id}`,
  ]);
  return JSON.stringify(parts);
}

// asp1's users whose names fuji doesn't also have (fuji has its own user1).
const asp1Only = ["usb.ndl", "ip.limited", "office.pc", "mobile.ios", "term.ex"];
const name = fc.constantFrom(...asp1Only);
const anyName = fc.constantFrom(...asp1Only, "user1");

type Req = { method: string; path: string; body?: unknown; raw?: string };
const request: fc.Arbitrary<Req> = fc.oneof(
  anyName.map((n) => ({ method: "GET", path: `/users/${n}` })),
  anyName.map((n) => ({ method: "GET", path: `/users?q=${n}` })),
  fc
    .tuple(name, fc.integer({ min: 1, max: 3 }))
    .map(([n, v]) => ({ method: "PATCH", path: `/users/${n}`, body: { version: v, memo: "pwned" } })),
  fc.tuple(name, fc.integer({ min: 1, max: 3 })).map(([n, v]) => ({
    method: "PATCH",
    path: "/users",
    body: { users: [{ userName: n, version: v, memo: "pwned" }] },
  })),
  fc
    .tuple(name, fc.constantFrom("pc", "mobile"))
    .map(([n, s]) => ({ method: "POST", path: `/users/${n}/slots/${s}/initialise` })),
  anyName.map((n) => ({ method: "POST", path: `/users/${n}/slots/pc/initialise` })),
  name.map((n) => ({ method: "POST", path: `/users/${n}/unlock` })),
  name.map((n) => ({ method: "PUT", path: `/users/${n}/password`, body: { password: "pwned-password" } })),
  anyName.map((n) => ({ method: "GET", path: `/history?user=${n}` })),
  anyName.map((n) => ({ method: "GET", path: `/history/csv?user=${n}&extended=1` })),
  fc.constant({ method: "GET", path: "/history" }),
  fc.constant({ method: "GET", path: "/groups" }),
  fc.constant({ method: "GET", path: "/groups/csv" }),
  fc.tuple(name, name).map(([v, c]) => ({
    method: "POST",
    path: "/groups/links",
    body: { links: [{ viewer: v, client: c }] },
  })),
  fc.constant({
    method: "POST",
    path: "/groups/links/remove",
    body: { links: [{ viewer: "usb.ndl", client: "office.pc" }] },
  }),
  fc.constant({
    method: "POST",
    path: "/groups/csv?mode=delete",
    raw: "user1,office.pc\nusb.ndl,office.pc\n",
  }),
  fc.constant({ method: "POST", path: "/groups/csv?mode=add", raw: "user1,office.pc\n" }),
  fc.constant({ method: "GET", path: "/security" }),
  fc.constant({
    method: "PATCH",
    path: "/security",
    body: { lockout: { threshold: 2, durationSeconds: 60 } },
  }),
  fc.constant({ method: "GET", path: "/active-sessions" }),
  fc.constant(null).map(() => ({ method: "DELETE", path: `/active-sessions/${h.asp1SessionId}` })),
  fc.constant({ method: "GET", path: "/audit" }),
  fc.constant({ method: "GET", path: "/sessions/current" }),
  fc.constant({ method: "GET", path: "/reasons" }),
);

/** The routes the generator covers, checked against the OpenAPI document so a new route can't slip by. */
const covered = [
  "get /users/{userName}",
  "get /users",
  "patch /users/{userName}",
  "patch /users",
  "post /users/{userName}/slots/{slot}/initialise",
  "post /users/{userName}/unlock",
  "put /users/{userName}/password",
  "get /history",
  "get /history/csv",
  "get /groups",
  "get /groups/csv",
  "post /groups/links",
  "post /groups/links/remove",
  "post /groups/csv",
  "get /security",
  "patch /security",
  "get /active-sessions",
  "delete /active-sessions/{id}",
  "get /audit",
  "get /sessions/current",
  "get /reasons",
];
// Reached only as oneself (no tenant in the request) or before login.
const notTenantScoped = [
  "post /sessions",
  "delete /sessions/current",
  "put /sessions/current/password",
  "get /health",
  "get /ready",
];

describe("tenant isolation", () => {
  it("covers every route of the OpenAPI document", async () => {
    const doc = (await call(h.app, "GET", "/openapi.json")).json as {
      paths: Record<string, Record<string, unknown>>;
    };
    const all = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect([...covered, ...notTenantScoped].sort()).toEqual(all.sort());
  });

  it("a fuji admin never reads or changes anything of asp1", async () => {
    const before = await asp1State();
    const forbidden = [...asp1Only, ...h.asp1Ids, h.asp1SessionId, "000000", "Demo Company", "203.0.113.25"];
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 4 }), async (requests) => {
        for (const r of requests) {
          const res = await callRaw(h.app, r.method, r.path, {
            token: h.fujiToken,
            body: r.body,
            raw: r.raw,
            ...(r.raw ? { headers: { "content-type": "text/csv" } } : {}),
          });
          expect(res.status).toBeLessThan(500);
          // The reason catalogue is public and contract-free; everything else must not mention asp1.
          if (r.path === "/reasons") continue;
          // A 404 may echo the name the caller sent; anything else of asp1 must not appear.
          const sent = JSON.stringify(r);
          for (const word of forbidden) if (!sent.includes(word)) expect(res.text).not.toContain(word);
          if (res.status < 300 && r.method !== "GET") expect(res.text).not.toMatch(/"(added|removed)":[1-9]/);
        }
      }),
      { numRuns: 40 },
    );
    expect(await asp1State()).toBe(before);
  });
});
