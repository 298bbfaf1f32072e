// plainUrl(): a sealing relay's plain address for a TLS URL (docs/protocol.md "Sealed channels").
import { describe, expect, it } from "vitest";
import { plainUrl } from "../src/upgrade.js";

describe("a sealing relay's data connections in clear", () => {
  it("go to the TLS URL's own host and port, its route kept (443 written out)", () => {
    expect(plainUrl(new URL("wss://relay.example/v1/data?route=abc")).href).toBe(
      "ws://relay.example:443/v1/data?route=abc",
    );
    expect(plainUrl(new URL("wss://[::1]:7410/v1/data")).href).toBe("ws://[::1]:7410/v1/data");
    expect(plainUrl(new URL("https://relay.example:8443/x")).href).toBe("http://relay.example:8443/x");
  });
});
