/** The admin API's environment: trusted proxies are a checked list, and the old boolean is gone. */
import { describe, expect, it } from "vitest";
import { readEnv } from "../src/env.js";

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

  it("no longer has TRUST_PROXY, which believed the first X-Forwarded-For entry from anyone", () => {
    expect(readEnv({ TRUST_PROXY: "true" })).not.toHaveProperty("TRUST_PROXY");
  });
});
