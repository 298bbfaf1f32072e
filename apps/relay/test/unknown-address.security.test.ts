/**
 * A connection through a trusted proxy that does not say where it came from (no X-Forwarded-For, or a
 * hop that is no address) has the unknown address, never the proxy's (docs/protocol.md "Transport"):
 * a user whose IP allow-list covers the proxy's own network is refused, and the access history
 * records the address as `unknown`. A hop written with its port is read as the address it names.
 */
import type { FromRelay } from "@tsunagi/core/wire";
import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientHello, firstAnswer, historyOf, rawConnection, startRelay, useStack } from "./helpers.js";

const stack = useStack();
let url: string;
let close: () => Promise<void>;
beforeAll(async () => {
  // The proxy's LAN and the clients' network: a proxy that vouched for itself would be inside.
  await stack.t.db
    .update(schema.users)
    .set({ ipAllowClient: ["127.0.0.0/8", "198.51.100.0/24"] })
    .where(and(eq(schema.users.userName, "ip.limited"), eq(schema.users.serverHost, DEMO.serverHost)));
  const proxied = await startRelay(stack.t, { trustedProxies: ["127.0.0.1"] });
  url = proxied.url;
  close = () => proxied.relay.close();
});
afterAll(() => close());

/** A client's hello through the "proxy" (this test, on 127.0.0.1); resolves with the relay's answer. */
async function clientLogin(forwardedFor: string | undefined): Promise<FromRelay> {
  const raw = await rawConnection(url, {
    headers: forwardedFor === undefined ? {} : { "x-forwarded-for": forwardedFor },
  });
  return firstAnswer(raw, clientHello("ip.limited"));
}

describe("a client login through a trusted proxy", () => {
  it.each([
    ["no header", undefined],
    ["unknown", "unknown"],
    ["a hop that is no address", "client.example"],
    ["a garbled right-most hop", "198.51.100.10, not-an-address"],
  ])(
    "with %s is refused by an allow-list covering the proxy, recorded as unknown",
    async (_, forwardedFor) => {
      const answer = await clientLogin(forwardedFor);
      expect(answer).toMatchObject({ type: "failure" });
      const row = (await historyOf(stack.t, "ip.limited", "client")).at(-1);
      expect(row).toMatchObject({ result: "failure", sourceAddress: "unknown" });
    },
  );

  it("with the client's address and port is let in, recorded as the address", async () => {
    const answer = await clientLogin("198.51.100.10:51234");
    expect(answer).toMatchObject({ type: "result", ok: true });
    const row = (await historyOf(stack.t, "ip.limited", "client")).at(-1);
    expect(row).toMatchObject({ result: "success", sourceAddress: "198.51.100.10" });
  });
});
