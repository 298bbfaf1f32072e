/**
 * The PROXY protocol (docs/security.md "Where a request comes from"): with it on, a connection from a
 * trusted proxy opens with a v2 header and the address it names is the source that IP allow-lists,
 * rate limits and the access history see; from anyone else the same bytes are only bad HTTP, and a
 * trusted proxy that sends no header is closed.
 */
import { connect } from "node:net";
import { proxyHeader } from "@tsunagi/core/proxy-protocol";
import type { FromRelay } from "@tsunagi/core/wire";
import { schema } from "@tsunagi/db";
import { DEMO } from "@tsunagi/fixtures";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientHello, firstAnswer, historyOf, rawConnection, startRelay, useStack } from "./helpers.js";

const stack = useStack();
let trusting: { url: string; close: () => Promise<void> };
let untrusting: { url: string; close: () => Promise<void> };
beforeAll(async () => {
  await stack.t.db
    .update(schema.users)
    .set({ ipAllowClient: ["203.0.113.0/24"] })
    .where(and(eq(schema.users.userName, "ip.limited"), eq(schema.users.serverHost, DEMO.serverHost)));
  // This test is the proxy, on 127.0.0.1; the second relay trusts another address only.
  const a = await startRelay(stack.t, { trustedProxies: ["127.0.0.1"], proxyProtocol: true });
  const b = await startRelay(stack.t, { trustedProxies: ["192.0.2.1"], proxyProtocol: true });
  trusting = { url: a.url, close: () => a.relay.close() };
  untrusting = { url: b.url, close: () => b.relay.close() };
});
afterAll(async () => {
  await trusting?.close();
  await untrusting?.close();
});

/**
 * A client's hello on a raw TCP connection that opens with `header` (if any) and then speaks the
 * WebSocket upgrade; the relay's first answer, or the error that ended the connection.
 */
async function clientLogin(url: string, header: Buffer | undefined): Promise<FromRelay | Error> {
  const { hostname, port } = new URL(url);
  const raw = await rawConnection(url, {
    createConnection: () => {
      const socket = connect(Number(port), hostname);
      if (header) socket.write(header);
      return socket;
    },
  }).catch((error: Error) => error);
  if (raw instanceof Error) return raw;
  return firstAnswer(raw, clientHello("ip.limited"));
}

const naming = (address: string) =>
  proxyHeader(
    { address, port: 50_000 },
    { address: address.includes(":") ? "::1" : "127.0.0.1", port: 7410 },
  );

describe("a connection from a trusted proxy with PROXY protocol on", () => {
  it("is admitted by the allow-list covering the address its header names, recorded as that address", async () => {
    expect(await clientLogin(trusting.url, naming("203.0.113.7"))).toMatchObject({
      type: "result",
      ok: true,
    });
    const row = (await historyOf(stack.t, "ip.limited", "client")).at(-1);
    expect(row).toMatchObject({ result: "success", sourceAddress: "203.0.113.7" });
  });

  it("is refused (40200) when its header names an address outside the list", async () => {
    expect(await clientLogin(trusting.url, naming("198.51.100.9"))).toMatchObject({ type: "failure" });
    const row = (await historyOf(stack.t, "ip.limited", "client")).at(-1);
    expect(row).toMatchObject({ result: "failure", reasonCode: 40200, sourceAddress: "198.51.100.9" });
  });

  it("names an IPv6 source in canonical text", async () => {
    await clientLogin(trusting.url, naming("2001:0db8:0:0::7"));
    const row = (await historyOf(stack.t, "ip.limited", "client")).at(-1);
    expect(row).toMatchObject({ reasonCode: 40200, sourceAddress: "2001:db8::7" });
  });

  it("is closed when it sends no header, or a broken one: nothing reaches authentication", async () => {
    const before = (await historyOf(stack.t, "ip.limited")).length;
    expect(await clientLogin(trusting.url, undefined)).toBeInstanceOf(Error);
    const broken = naming("203.0.113.7");
    broken[12] = 0x11;
    expect(await clientLogin(trusting.url, broken)).toBeInstanceOf(Error);
    expect(await historyOf(stack.t, "ip.limited")).toHaveLength(before);
  });
});

describe("the same header from a peer that is not a trusted proxy", () => {
  it("is not read: the connection fails as bad HTTP and nobody is admitted", async () => {
    const before = (await historyOf(stack.t, "ip.limited")).length;
    expect(await clientLogin(untrusting.url, naming("203.0.113.7"))).toBeInstanceOf(Error);
    expect(await historyOf(stack.t, "ip.limited")).toHaveLength(before);
  });

  it("leaves its plain connections as they were: the socket's own address is the source", async () => {
    expect(await clientLogin(untrusting.url, undefined)).toMatchObject({ type: "failure" });
    const row = (await historyOf(stack.t, "ip.limited", "client")).at(-1);
    expect(row).toMatchObject({ reasonCode: 40200, sourceAddress: "127.0.0.1" });
  });
});
