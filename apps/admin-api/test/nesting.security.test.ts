/**
 * Deeply nested JSON bodies: the body guard walks every string of a JSON body (docs/security.md), and
 * a walk that recursed once per level overflowed the stack at a few thousand levels (a 500 for a
 * 12 KB body, before authentication). Nesting beyond 64 levels is a 400 naming `body` on every route.
 */
import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../src/input.js";
import { callRaw, errorOf, expectStatus, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

const json = { "content-type": "application/json" };
const nested = (depth: number, open = "[", close = "]") => open.repeat(depth) + close.repeat(depth);

describe("a deeply nested JSON body", () => {
  it("6,000 levels of arrays to POST /sessions, unauthenticated: 400 naming body, not 500", async () => {
    const res = await callRaw(h.app, "POST", "/sessions", { raw: nested(6_000), headers: json });
    expectStatus(res, 400, res.text);
    expect(errorOf(res)).toMatchObject({ code: "invalid-request", field: "body" });
    expect(errorOf(res).message).toMatch(/^body: /);
  });

  it("objects nested past the limit inside a field, on an authenticated route: 400 naming body", async () => {
    const deep = `{"memo":${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${"}".repeat(MAX_JSON_DEPTH + 1)}}`;
    const res = await callRaw(h.app, "PATCH", "/users/usb.ex", { token: h.token, raw: deep, headers: json });
    expectStatus(res, 400, res.text);
    expect(errorOf(res)).toMatchObject({ code: "invalid-request", field: "body" });
  });

  it("nesting up to the limit is not refused by the guard (the schema judges it), and NUL is still found deep down", async () => {
    const atLimit = `${"[".repeat(MAX_JSON_DEPTH)}"\\u0000"${"]".repeat(MAX_JSON_DEPTH)}`;
    const res = await callRaw(h.app, "POST", "/sessions", { raw: atLimit, headers: json });
    expectStatus(res, 400, res.text);
    expect(errorOf(res).field).toBe("[0]".repeat(MAX_JSON_DEPTH));
  });

  it("a key named like nothing special still names its own field", async () => {
    const res = await callRaw(h.app, "POST", "/sessions", { raw: '{"too-deep":"\\u0000"}', headers: json });
    expectStatus(res, 400, res.text);
    expect(errorOf(res).field).toBe("too-deep");
  });
});
