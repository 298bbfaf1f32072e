/**
 * The routing key in the URL every agent dials (docs/protocol.md "Reconnection and routing"): a client
 * and every viewer that reaches it carry the same `route`, core's routingKey of the host part and the
 * client's user name, so a load balancer hashing on it puts both ends on one relay; the operator's own
 * query stays.
 */
import { ROUTE_PARAM, routingKey } from "@tsunagi/core/wire";
import { afterEach, describe, expect, it } from "vitest";
import { startClient } from "../src/client.js";
import { routedUrl } from "../src/connection.js";
import { startViewer } from "../src/viewer.js";
import { scriptedRelay } from "./scripted-relay.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const common = { serverHost: "asp1", password: "irrelevant" };
const viewerOf = (server: string, user: string, target?: string) =>
  startViewer({
    ...common,
    server,
    user,
    ...(target ? { target } : {}),
    product: "usb-ndl",
    usbKeySerial: "NDL-0001-0001",
    listen: { host: "127.0.0.1", port: 0 },
    reconnect: false,
  });

describe("the routing key", () => {
  it("is the same for a client, its own viewer and a grouped viewer, and the operator's query is kept", async () => {
    const relay = await scriptedRelay();
    cleanups.push(() => relay.close());
    const server = `${relay.url}/?site=tokyo`;
    const client = startClient({
      ...common,
      server,
      user: "user1",
      forward: { host: "127.0.0.1", port: 1 },
      reconnect: false,
    });
    cleanups.push(() => client.stop());
    await client.ready;
    const own = await viewerOf(server, "user1");
    cleanups.push(() => own.close());
    const grouped = await viewerOf(server, "user2", "user1");
    cleanups.push(() => grouped.close());
    const other = await viewerOf(server, "user2");
    cleanups.push(() => other.close());

    const seen = relay.urls.map((u) => new URL(u, "ws://relay"));
    expect(seen.map((u) => u.pathname)).toEqual(Array(4).fill("/v1/connect"));
    expect(seen.map((u) => u.searchParams.get("site"))).toEqual(Array(4).fill("tokyo"));
    const routes = seen.map((u) => u.searchParams.get(ROUTE_PARAM));
    const key = routingKey("asp1", "user1");
    expect(routes.slice(0, 3)).toEqual([key, key, key]);
    expect(routes[3]).toBe(routingKey("asp1", "user2"));
    expect(routes[3]).not.toBe(key);
    // It names no user: the balancer's log shows a hash.
    expect(relay.urls.join(" ")).not.toMatch(/user1|user2/);
  });

  it("replaces a route the operator's URL already carries, and takes the host part from the URL", () => {
    const url = routedUrl(
      { server: "wss://asp1.example.net/?route=stale&x=1", user: "user1", password: "p" },
      { role: "client" },
    );
    const parsed = new URL(url);
    expect(parsed.pathname).toBe("/v1/connect");
    expect(parsed.searchParams.getAll(ROUTE_PARAM)).toEqual([routingKey("asp1", "user1")]);
    expect(parsed.searchParams.get("x")).toBe("1");
  });
});
