/**
 * Who may read the admin API's `GET /metrics`, over real sockets: the addresses in `metricsAllowed`
 * (TSUNAGI_METRICS_ALLOWED, this host by default) by the address every rule of the API sees — the
 * socket's peer, X-Forwarded-For only from a trusted proxy. Anyone else: 403 in the one error shape,
 * and not a metric in the body.
 */
import { request } from "node:http";
import { useTestDatabase } from "@tsunagi/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAdminApi, startAdminApi } from "../src/start.js";

const t = useTestDatabase();
const apis: RunningAdminApi[] = [];
let onlyOne: string;
let byDefault: string;
let behindProxy: string;
beforeAll(async () => {
  const started = async (config: Parameters<typeof startAdminApi>[0]["config"]) => {
    const api = await startAdminApi({ database: t.db, host: "127.0.0.1", port: 0, config });
    apis.push(api);
    return api.url;
  };
  onlyOne = await started({ metricsAllowed: ["127.0.0.1/32"] });
  byDefault = await started({});
  // This test is the proxy, on 127.0.0.1, inside the default allow-list itself.
  behindProxy = await started({ trustedProxies: ["127.0.0.1"] });
});
afterAll(async () => {
  for (const api of apis) await api.close();
});

/** GET /metrics from `localAddress` over a socket of its own; the status and the body. */
function scrape(
  url: string,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL("/metrics", url), { localAddress, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("GET /metrics on the admin API", () => {
  it("is answered to an allowed address and refused (403 in the error shape, no metric) to any other", async () => {
    const allowed = await scrape(onlyOne, "127.0.0.1");
    expect(allowed.status).toBe(200);
    expect(allowed.text).toContain("tsunagi_admin_requests_total");
    const refused = await scrape(onlyOne, "127.0.0.2");
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toMatchObject({
      error: { code: "address-not-allowed", requestId: expect.any(String) },
    });
    expect(refused.text).not.toContain("tsunagi_admin");
  });

  it("believes no X-Forwarded-For from a peer that is not a trusted proxy", async () => {
    expect((await scrape(onlyOne, "127.0.0.2", { "x-forwarded-for": "127.0.0.1" })).status).toBe(403);
  });

  it("admits the whole of 127.0.0.0/8 by default", async () => {
    expect((await scrape(byDefault, "127.0.0.2")).status).toBe(200);
  });

  it("behind a trusted proxy on this host, judges the client it forwards for, not the proxy", async () => {
    expect((await scrape(behindProxy, "127.0.0.1", { "x-forwarded-for": "198.51.100.9" })).status).toBe(403);
    // A proxy that does not say whom it forwards for is no local caller either.
    expect((await scrape(behindProxy, "127.0.0.1")).status).toBe(403);
    expect((await scrape(behindProxy, "127.0.0.1", { "x-forwarded-for": "127.0.0.9" })).status).toBe(200);
  });
});
