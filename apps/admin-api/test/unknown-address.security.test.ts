/**
 * A request through a trusted proxy that does not say where it came from (no X-Forwarded-For, or a hop
 * that is no address) has the unknown address, never the proxy's (docs/security.md "Where a request
 * comes from"). With an admin allow-list that covers the proxy's own network, the login is refused;
 * a hop written with its port is read as the address it names.
 */
import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, errorOf, expectStatus, TEST_PROXY, useHarness } from "./helpers.js";

const h = useHarness(async (h) => {
  // The proxy's LAN and the clients' network: a proxy that vouched for itself would be inside.
  await h.t.db
    .update(schema.contracts)
    .set({ adminAllowCidrs: [`${TEST_PROXY}/8`, "192.0.2.0/24"] })
    .where(eq(schema.contracts.serverHost, DEMO.serverHost));
  return {};
});

const loginFrom = (forwardedFor: string) =>
  call(h.app, "POST", "/sessions", {
    body: { server: DEMO.serverHost, login: DEMO.adminLogin, password: DEMO.adminTemporaryPassword },
    headers: { "x-forwarded-for": forwardedFor },
  });

describe("an admin login through a trusted proxy", () => {
  it.each([
    ["no address (an empty header)", ""],
    ["unknown", "unknown"],
    ["a hop that is no address", "client.example"],
    ["a garbled right-most hop", "192.0.2.10, not-an-address"],
  ])("with %s is refused by an allow-list covering the proxy", async (_, forwardedFor) => {
    const res = await loginFrom(forwardedFor);
    expectStatus(res, 401, res.text);
    expect(errorOf(res).code).toBe("invalid-credentials");
  });

  it.each([["192.0.2.10:51234"], ["[::ffff:192.0.2.10]:443"]])(
    "with the client's address and port (%s) is let in",
    async (forwardedFor) => {
      const res = await loginFrom(forwardedFor);
      expectStatus(res, 200, res.text);
    },
  );
});
