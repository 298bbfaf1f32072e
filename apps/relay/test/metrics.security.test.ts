/**
 * Who may read the relay's `GET /metrics`: the addresses in `metricsAllowed` (TSUNAGI_METRICS_ALLOWED,
 * this host by default), by the address every allow-list of the relay sees — the socket's peer, the
 * one a trusted proxy's PROXY header named, X-Forwarded-For only from a trusted proxy. Anyone else: 403
 * in the error shape, and not a metric in the body.
 */
import { connect } from "node:net";
import { proxyHeader } from "@tsunagi/core/proxy-protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Relay } from "../src/server.js";
import { startRelay, useStack } from "./helpers.js";
import { scrape } from "./scrape.js";

const stack = useStack();
const relays: Relay[] = [];
let onlyOne: string;
let behindProxy: string;
let behindHttpProxy: string;
beforeAll(async () => {
  const started = async (config: Parameters<typeof startRelay>[1]) => {
    const { relay, url } = await startRelay(stack.t, config);
    relays.push(relay);
    return url;
  };
  onlyOne = await started({ metricsAllowed: ["127.0.0.1/32"] });
  // This test is the proxy, on 127.0.0.1, inside the default allow-list itself.
  behindProxy = await started({ trustedProxies: ["127.0.0.1"], proxyProtocol: true });
  behindHttpProxy = await started({ trustedProxies: ["127.0.0.1"] });
});
afterAll(async () => {
  for (const relay of relays) await relay.close();
});

/** GET /metrics over a raw TCP connection that opens with a PROXY v2 header naming `address`; the status. */
async function throughProxy(url: string, address: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(proxyHeader({ address, port: 50_000 }, { address: "127.0.0.1", port: Number(port) }));
  socket.write(`GET /metrics HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve, reject) => {
    socket.on("close", resolve);
    socket.on("error", reject);
  });
  const status = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString())?.[1];
  return Number(status);
}

describe("GET /metrics on the relay", () => {
  it("is answered to an allowed address and refused (403, no metric) to any other", async () => {
    expect((await scrape(onlyOne, { localAddress: "127.0.0.1" })).status).toBe(200);
    const refused = await scrape(onlyOne, { localAddress: "127.0.0.2" });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: "address-not-allowed" } });
    expect(refused.text).not.toContain("tsunagi_relay");
  });

  it("believes no X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    const claimed = await scrape(onlyOne, {
      localAddress: "127.0.0.2",
      headers: { "x-forwarded-for": "127.0.0.1" },
    });
    expect(claimed.status).toBe(403);
  });

  it("admits the whole of 127.0.0.0/8 by default", async () => {
    expect((await scrape(stack.url, { localAddress: "127.0.0.2" })).status).toBe(200);
  });

  it("behind a PROXY-protocol proxy on this host, judges the address its header names, not the proxy's", async () => {
    expect(await throughProxy(behindProxy, "203.0.113.7")).toBe(403);
    expect(await throughProxy(behindProxy, "127.0.0.5")).toBe(200);
  });

  it("behind a trusted HTTP proxy on this host, judges the client it forwards for", async () => {
    const outsider = await scrape(behindHttpProxy, { headers: { "x-forwarded-for": "198.51.100.9" } });
    expect(outsider.status).toBe(403);
    const local = await scrape(behindHttpProxy, { headers: { "x-forwarded-for": "127.0.0.9" } });
    expect(local.status).toBe(200);
  });
});
