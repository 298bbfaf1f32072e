import { INVALID_FIELD, UNKNOWN_ADDRESS } from "@tsunagi/core";
import { describe, expect, it } from "vitest";
import { appliesDirectly, fixTargetOf } from "./user-draft.js";

const row = (sourceAddress: string | null, mac: string | null, fix: "allow-ip" | "allow-mac") => ({
  userName: "user1",
  role: "viewer" as const,
  result: "failure",
  product: "terminal-ndl-s",
  sourceAddress,
  mac,
  reason: { key: fix === "allow-ip" ? ("ip-not-allowed" as const) : ("mac-not-allowed" as const), fix },
});

describe("the one-key fix of an allow-list failure", () => {
  it("offers the recorded address or MAC", () => {
    const ip = fixTargetOf(row("203.0.113.9", null, "allow-ip"));
    expect(ip?.sourceAddress).toBe("203.0.113.9");
    expect(ip && appliesDirectly(ip)).toBe(true);
    const mac = fixTargetOf(row(null, "00:1b:44:11:3a:b7", "allow-mac"));
    expect(mac?.mac).toBe("00:1b:44:11:3a:b7");
    expect(mac && appliesDirectly(mac)).toBe(true);
  });

  it("never offers the markers of an address the relay could not tell or a MAC that did not parse", () => {
    const ip = fixTargetOf(row(UNKNOWN_ADDRESS, null, "allow-ip"));
    expect(ip?.sourceAddress).toBeNull();
    expect(ip && appliesDirectly(ip)).toBe(false);
    const mac = fixTargetOf(row(null, INVALID_FIELD, "allow-mac"));
    expect(mac?.mac).toBeNull();
    expect(mac && appliesDirectly(mac)).toBe(false);
  });
});
