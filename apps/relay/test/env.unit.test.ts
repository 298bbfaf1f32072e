/** The relay's environment: PROXY protocol only makes sense with trusted proxies to read it from. */
import { describe, expect, it } from "vitest";
import { readEnv, readSettingsEnv } from "../src/env.js";

describe("TSUNAGI_PROXY_PROTOCOL", () => {
  it("is refused without TSUNAGI_TRUSTED_PROXIES, naming both", () => {
    for (const read of [readEnv, readSettingsEnv]) {
      expect(() => read({ TSUNAGI_PROXY_PROTOCOL: "1" })).toThrow(
        /TSUNAGI_PROXY_PROTOCOL.*TSUNAGI_TRUSTED_PROXIES/,
      );
    }
  });

  it("is read with trusted proxies, and only as 0 or 1", () => {
    expect(readEnv({ TSUNAGI_PROXY_PROTOCOL: "1", TSUNAGI_TRUSTED_PROXIES: "127.0.0.3" })).toMatchObject({
      TSUNAGI_PROXY_PROTOCOL: "1",
      TSUNAGI_TRUSTED_PROXIES: ["127.0.0.3"],
    });
    expect(() => readEnv({ TSUNAGI_PROXY_PROTOCOL: "yes", TSUNAGI_TRUSTED_PROXIES: "127.0.0.3" })).toThrow(
      /TSUNAGI_PROXY_PROTOCOL/,
    );
  });
});
