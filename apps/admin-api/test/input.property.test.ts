/**
 * Bad input never gives a 5xx, and every 400 names the field: fast-check over JSON bodies (random
 * and near-valid) and query strings on every route that takes them.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { call, callRaw, errorOf, type UntypedReply, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

const bodyRoutes: [string, string][] = [
  ["POST", "/sessions"],
  ["PATCH", "/users/usb.ex"],
  ["PATCH", "/users"],
  ["PUT", "/users/usb.ex/password"],
  ["POST", "/groups/links"],
  ["POST", "/groups/links/remove"],
  ["PATCH", "/security"],
  ["PUT", "/sessions/current/password"],
];
const queryRoutes = ["/history", "/history/csv", "/users", "/audit", "/reasons", "/groups/csv"];

/** Values near the valid ones, where validation is most likely to slip. */
const nasty = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(
    "",
    " ",
    "10.0.0.0/33",
    "::ffff:1.2.3.4/200",
    "zz:zz:zz:zz:zz:zz",
    "\u0000",
    "'; drop table users; --",
    "%",
    "_",
    "\\",
  ),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.integer(),
  fc.constant(null),
);
const nearValidBody = fc.record(
  {
    version: fc.oneof(fc.integer({ min: -2, max: 5 }), nasty),
    memo: nasty,
    permissions: fc.record(
      { viewerProduct: nasty, edition: nasty, viewerUsable: nasty },
      { requiredKeys: [] },
    ),
    restrictions: fc.record(
      {
        ipAllow: fc.record(
          { viewer: nasty, client: fc.array(fc.string(), { maxLength: 2 }) },
          { requiredKeys: [] },
        ),
        macAllow: nasty,
      },
      { requiredKeys: [] },
    ),
    users: fc.array(fc.record({ userName: nasty, version: nasty, memo: nasty }, { requiredKeys: [] }), {
      maxLength: 2,
    }),
    links: fc.array(fc.record({ viewer: nasty, client: nasty }, { requiredKeys: [] }), { maxLength: 2 }),
    adminAllowCidrs: nasty,
    lockout: fc.record({ threshold: nasty, durationSeconds: nasty }, { requiredKeys: [] }),
    server: nasty,
    login: nasty,
    password: nasty,
    currentPassword: nasty,
    newPassword: nasty,
  },
  { requiredKeys: [] },
);

function expectNamedRejection(res: UntypedReply) {
  expect(res.status, res.text).toBeLessThan(500);
  if (res.status === 400) {
    expect(typeof errorOf(res).field, res.text).toBe("string");
    expect(errorOf(res).field?.length).toBeGreaterThan(0);
    expect(typeof errorOf(res).requestId).toBe("string");
  }
}

describe("bad input", () => {
  it("bodies: never a 5xx; a 400 names the field", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyRoutes),
        fc.oneof(nearValidBody, fc.jsonValue()),
        async ([method, path], body) => {
          expectNamedRejection(await callRaw(h.app, method, path, { token: h.token, body }));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("raw bodies that aren't JSON: never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodyRoutes, ["POST", "/groups/csv?mode=add"] as [string, string]),
        fc.string(),
        async ([method, path], raw) => {
          expectNamedRejection(
            await callRaw(h.app, method, path, {
              token: h.token,
              raw,
              headers: { "content-type": "application/json" },
            }),
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it("query strings: never a 5xx; a 400 names the field", async () => {
    const key = fc.constantFrom(
      "role",
      "result",
      "user",
      "from",
      "to",
      "lang",
      "limit",
      "cursor",
      "q",
      "encoding",
      "extended",
      "model",
      "mode",
      "x",
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...queryRoutes),
        fc.dictionary(
          key,
          fc.oneof(
            fc.string(),
            fc.constantFrom("-1", "0", "501", "1e3", "2026-13-01T00:00:00Z", "viewer", "ja"),
          ),
        ),
        async (path, query) => {
          const qs = new URLSearchParams(query).toString();
          expectNamedRejection(await call(h.app, "GET", `${path}?${qs}`, { token: h.token }));
        },
      ),
      { numRuns: 150 },
    );
  });
});
