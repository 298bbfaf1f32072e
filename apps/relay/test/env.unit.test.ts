/** The relay's environment: PROXY protocol only makes sense with trusted proxies to read it from; sealing is 0 or 1. */
import { describe, expect, it } from "vitest";
import { readEnv, readSettingsEnv } from "../src/env.js";
import { relaySettings } from "../src/start.js";

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

describe("TSUNAGI_SEALED_CHANNELS", () => {
  it("overrides the default (sealed with TLS) as 0 or 1, and nothing else", async () => {
    expect(await relaySettings(readSettingsEnv({}))).not.toHaveProperty("data");
    expect((await relaySettings(readSettingsEnv({ TSUNAGI_SEALED_CHANNELS: "0" }))).data).toEqual({
      sealed: false,
    });
    expect((await relaySettings(readSettingsEnv({ TSUNAGI_SEALED_CHANNELS: "1" }))).data).toEqual({
      sealed: true,
    });
    expect(() => readSettingsEnv({ TSUNAGI_SEALED_CHANNELS: "on" })).toThrow(/TSUNAGI_SEALED_CHANNELS/);
  });
});
