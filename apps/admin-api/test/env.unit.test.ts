/**
 * The admin API's environment: trusted proxies and the metrics' allow-list are checked lists, and the
 * old boolean is gone.
 */
import { describe, expect, it } from "vitest";
import { readEnv } from "../src/env.js";
import { adminApiSettings } from "../src/start.js";

describe("readEnv", () => {
  it("reads TSUNAGI_TRUSTED_PROXIES as a list of addresses and ranges, none by default", () => {
    expect(readEnv({}).TSUNAGI_TRUSTED_PROXIES).toEqual([]);
    expect(
      readEnv({ TSUNAGI_TRUSTED_PROXIES: " 10.0.0.0/8, 2001:db8::1 ,," }).TSUNAGI_TRUSTED_PROXIES,
    ).toEqual(["10.0.0.0/8", "2001:db8::1"]);
  });

  it("stops start-up naming the variable on an entry that is not an address or range", () => {
    expect(() => readEnv({ TSUNAGI_TRUSTED_PROXIES: "10.0.0.0/8,proxy.internal" })).toThrow(
      /TSUNAGI_TRUSTED_PROXIES: "proxy.internal" is not an IPv4 or IPv6 address/,
    );
  });

  it("reads TSUNAGI_METRICS_ALLOWED as checked ranges; unset, the app keeps its default (this host)", () => {
    expect(adminApiSettings(readEnv({})).config).not.toHaveProperty("metricsAllowed");
    expect(
      adminApiSettings(readEnv({ TSUNAGI_METRICS_ALLOWED: "10.1.2.0/24, ::1/128" })).config?.metricsAllowed,
    ).toEqual(["10.1.2.0/24", "::1/128"]);
    expect(() => readEnv({ TSUNAGI_METRICS_ALLOWED: "prometheus.internal" })).toThrow(
      /TSUNAGI_METRICS_ALLOWED: "prometheus.internal" is not an IPv4 or IPv6 address/,
    );
  });

  it("no longer has TRUST_PROXY, which believed the first X-Forwarded-For entry from anyone", () => {
    expect(readEnv({ TRUST_PROXY: "true" })).not.toHaveProperty("TRUST_PROXY");
  });
});
