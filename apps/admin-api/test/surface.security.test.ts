/**
 * The admin API's surface as an attacker meets it: security headers on every kind of response, a
 * body size limit on every route, and bad input (NUL, undecodable bytes, overlong values) in path,
 * query and body answered with a 400 naming the field, never a 500 from the database.
 */

import { schema } from "@tsunagi/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app.js";
import {
  call,
  callRaw,
  errorOf,
  expectStatus,
  looseConfig,
  type UntypedReply,
  useReadyAdmin,
} from "./helpers.js";

const h = useReadyAdmin();

function expectSecurityHeaders(res: UntypedReply, what: string) {
  const csp = res.headers.get("content-security-policy") ?? "";
  expect(csp, what).toContain("default-src 'self'");
  expect(csp, what).toContain("frame-ancestors 'none'");
  expect(csp, what).toContain("object-src 'none'");
  expect(csp, what).not.toContain("unsafe-inline");
  expect(csp, what).not.toContain("unsafe-eval");
  expect(res.headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(res.headers.get("referrer-policy"), what).toBe("no-referrer");
  expect(res.headers.get("x-frame-options"), what).toBe("DENY");
  expect(res.headers.get("cross-origin-opener-policy"), what).toBe("same-origin");
  expect(res.headers.get("cross-origin-resource-policy"), what).toBe("same-origin");
  expect(res.headers.get("strict-transport-security"), what).toMatch(/^max-age=\d+/);
}

/** A 400 in the one error shape that names `field`. */
function expectNamed(res: UntypedReply, field: string) {
  expectStatus(res, 400, res.text);
  expect(errorOf(res).code, res.text).toBe("invalid-request");
  expect(errorOf(res).field, res.text).toBe(field);
  expect(errorOf(res).message, res.text).toContain(field);
  expect(typeof errorOf(res).requestId).toBe("string");
}

describe("security headers", () => {
  it("are on every response: pages, assets, JSON, CSV, 204, 3xx, 4xx and 404", async () => {
    const cases: [string, UntypedReply][] = [
      ["/docs", await call(h.app, "GET", "/docs")],
      ["/openapi.json", await call(h.app, "GET", "/openapi.json")],
      ["/", await call(h.app, "GET", "/")],
      ["/health", await call(h.app, "GET", "/health")],
      ["/history/csv", await call(h.app, "GET", "/history/csv", { token: h.token })],
      ["401", await call(h.app, "GET", "/users")],
      ["400", await call(h.app, "GET", "/users?limit=0", { token: h.token })],
      ["404", await call(h.app, "GET", "/no/such/route", { token: h.token })],
      ["404 user", await call(h.app, "GET", "/users/nobody", { token: h.token })],
      ["413", await callRaw(h.app, "POST", "/sessions", { raw: "x".repeat(200_000) })],
    ];
    for (const [what, res] of cases) expectSecurityHeaders(res, what);
    expect(cases.map(([what, res]) => `${what} ${res.status}`)).toEqual([
      "/docs 200",
      "/openapi.json 200",
      "/ 302",
      "/health 200",
      "/history/csv 200",
      "401 401",
      "400 400",
      "404 404",
      "404 user 404",
      "413 413",
    ]);
  });

  it("the docs page and its assets come from this server, scripts as files", async () => {
    const page = await call(h.app, "GET", "/docs");
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).not.toMatch(/https?:\/\//);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      expect(asset.startsWith("/docs/"), asset).toBe(true);
      const res = await call(h.app, "GET", asset);
      expectStatus(res, 200, asset);
      expect(res.bytes.length, asset).toBeGreaterThan(100);
      expectSecurityHeaders(res, asset);
    }
  });
});

describe("body size limit", () => {
  it("answers 413 in the error shape on every route, before authentication or parsing", async () => {
    const big = JSON.stringify({ memo: "m".repeat(70 * 1024) });
    for (const [method, path] of [
      ["POST", "/sessions"],
      ["PATCH", "/users/user1"],
      ["PUT", "/sessions/current/password"],
      ["PATCH", "/security"],
      ["POST", "/no/such/route"],
    ] as const) {
      const res = await callRaw(h.app, method, path, {
        token: h.token,
        raw: big,
        headers: { "content-type": "application/json" },
      });
      expectStatus(res, 413, `${method} ${path}`);
      expect(errorOf(res).code, res.text).toBe("payload-too-large");
      expect(errorOf(res).field).toBe("body");
      expect(typeof errorOf(res).requestId).toBe("string");
    }
  });

  it("bulk routes take larger bodies, up to their own limit", async () => {
    const links = Array.from({ length: 2000 }, (_, i) => ({ viewer: `v${i}`, client: "user1" }));
    const res = await call(h.app, "POST", "/groups/links", { token: h.token, body: { links } });
    // Past the size check: the names are looked up and the first unknown one is named.
    expectNamed(res, "links[0].viewer");
    const csv = `viewer,client\n${"nobody,user1\n".repeat(10_000)}`;
    const imported = await call(h.app, "POST", "/groups/csv?mode=add", {
      token: h.token,
      raw: csv,
      headers: { "content-type": "text/csv" },
    });
    expectNamed(imported, "line 2");
    const huge = await callRaw(h.app, "POST", "/groups/csv?mode=add", {
      token: h.token,
      raw: "a,b\n".repeat(600_000),
      headers: { "content-type": "text/csv" },
    });
    expectStatus(huge, 413);
    expect(errorOf(huge).code).toBe("payload-too-large");
  });

  it("is configurable through createApp", async () => {
    const small = createApp({ db: h.t.db, config: { ...looseConfig, maxBodyBytes: 100 } });
    const res = await call(small, "POST", "/sessions", {
      body: { server: "asp1", login: "account.admin", password: "p".repeat(100) },
    });
    expectStatus(res, 413);
    expect(errorOf(res).message).toContain("100 bytes");
  });
});

describe("bad input gets a 400 naming the field", () => {
  it("NUL in a path parameter", async () => {
    expectNamed(
      await call(h.app, "POST", "/users/%00/slots/mobile/initialise", { token: h.token }),
      "userName",
    );
    expectNamed(await call(h.app, "GET", "/users/user1%00", { token: h.token }), "userName");
    expectNamed(
      await call(h.app, "PUT", "/users/a%00b/password", {
        token: h.token,
        body: { password: "long-enough-1" },
      }),
      "userName",
    );
  });

  it("undecodable percent-encoding in a path parameter", async () => {
    for (const bad of ["%FF", "%C3%28", "%ED%A0%80", "user1%E3%81"]) {
      expectNamed(await call(h.app, "GET", `/users/${bad}`, { token: h.token }), "userName");
      expectNamed(await call(h.app, "POST", `/users/${bad}/unlock`, { token: h.token }), "userName");
    }
    expectNamed(await call(h.app, "DELETE", "/active-sessions/%FF", { token: h.token }), "id");
  });

  it("NUL, undecodable bytes and overlong values in the query", async () => {
    expectNamed(await call(h.app, "GET", "/users?q=%00", { token: h.token }), "q");
    expectNamed(await call(h.app, "GET", "/users?q=%FF%FE", { token: h.token }), "q");
    expectNamed(await call(h.app, "GET", `/users?q=${"x".repeat(5000)}`, { token: h.token }), "q");
    expectNamed(await call(h.app, "GET", "/history?user=%00", { token: h.token }), "user");
    expectNamed(await call(h.app, "GET", "/history?user=%C0%80", { token: h.token }), "user");
    expectNamed(await call(h.app, "GET", "/history/csv?user=a%00", { token: h.token }), "user");
    expectNamed(await call(h.app, "GET", "/audit?cursor=%00", { token: h.token }), "cursor");
    expectNamed(await call(h.app, "GET", "/reasons?lang=%E0%80", { token: h.token }), "lang");
  });

  it("an escape sequence or a bidirectional override in a memo reaches no terminal", async () => {
    for (const memo of ["\u001b]52;c;cm0gLXJmIH4=\u0007", "\u001b[2J", "ok\u202egnp.exe", "line\nbreak"]) {
      expectNamed(
        await call(h.app, "PATCH", "/users/user1", { token: h.token, body: { version: 1, memo } }),
        "memo",
      );
    }
    // Nothing was stored: no user1 (of any contract) holds any of it.
    const rows = await h.t.db
      .select({ memo: schema.users.memo })
      .from(schema.users)
      .where(eq(schema.users.userName, "user1"));
    for (const { memo } of rows) {
      for (const hostile of ["\u001b", "\u202e", "\n"]) expect(memo).not.toContain(hostile);
    }
  });

  it("NUL, lone surrogates, raw invalid bytes and overlong values in a JSON body", async () => {
    expectNamed(
      await call(h.app, "PATCH", "/users/user1", { token: h.token, body: { version: 1, memo: "a\u0000b" } }),
      "memo",
    );
    expectNamed(
      await call(h.app, "PATCH", "/users/user1", { token: h.token, body: { version: 1, memo: "\ud800" } }),
      "memo",
    );
    expectNamed(
      await call(h.app, "PATCH", "/users/user1", {
        token: h.token,
        body: { version: 1, memo: "m".repeat(1001) },
      }),
      "memo",
    );
    expectNamed(
      await call(h.app, "POST", "/groups/links", {
        token: h.token,
        body: { links: [{ viewer: "user1", client: "\u0000" }] },
      }),
      "links[0].client",
    );
    expectNamed(
      await call(h.app, "POST", "/sessions", {
        body: { server: "asp1", login: "account.admin\u0000", password: "x" },
      }),
      "login",
    );
    // Raw bytes that are not UTF-8, inside a string of an otherwise valid JSON body.
    const prefix = new TextEncoder().encode('{"version":1,"memo":"abc');
    const raw = new Uint8Array([...prefix, 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    const res = await callRaw(h.app, "PATCH", "/users/user1", {
      token: h.token,
      raw,
      headers: { "content-type": "application/json" },
    });
    expectStatus(res, 400);
    expect(errorOf(res).field).toBe("memo");
    expect(errorOf(res).message).toContain("UTF-8");
  });

  it("NUL and raw invalid bytes in a CSV body name the line", async () => {
    const nul = await call(h.app, "POST", "/groups/csv?mode=add", {
      token: h.token,
      raw: "viewer,client\nuser1,usb.ex\nusb.ndl\u0000,user1\n",
      headers: { "content-type": "text/csv" },
    });
    expectNamed(nul, "line 3");
    const bytes = new Uint8Array([...new TextEncoder().encode("user1,usb.ex\nusb.ndl,"), 0xc3, 0x28, 0x0a]);
    const res = await callRaw(h.app, "POST", "/groups/csv?mode=add", {
      token: h.token,
      raw: bytes,
      headers: { "content-type": "text/csv" },
    });
    expectStatus(res, 400);
    expect(errorOf(res).field).toBe("line 2");
  });
});
