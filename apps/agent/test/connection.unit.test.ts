/** What the agents work out before connecting: the relay URL and host part, HOST:PORT flags. */
import { describe, expect, it } from "vitest";
import { parseHostPort, UsageError } from "../src/cli/common.js";
import { connectUrl, serverHostOf } from "../src/connection.js";

describe("relay address", () => {
  it("turns any spelling of the relay into its control URL", () => {
    expect(connectUrl("wss://asp1.example.net")).toBe("wss://asp1.example.net/v1/connect");
    expect(connectUrl("https://asp1.example.net")).toBe("wss://asp1.example.net/v1/connect");
    expect(connectUrl("asp1.example.net")).toBe("wss://asp1.example.net/v1/connect");
    expect(connectUrl("ws://127.0.0.1:8443")).toBe("ws://127.0.0.1:8443/v1/connect");
  });

  it("takes the host part from the name, and insists on one for an address", () => {
    expect(serverHostOf("wss://asp1.example.net")).toBe("asp1");
    expect(serverHostOf("ws://127.0.0.1:8443", "fuji")).toBe("fuji");
    expect(() => serverHostOf("ws://127.0.0.1:8443")).toThrow(/--server-host/);
  });
});

describe("HOST:PORT", () => {
  it("parses IPv4, names and bracketed IPv6", () => {
    expect(parseHostPort("127.0.0.1:3389", "--forward")).toEqual({ host: "127.0.0.1", port: 3389 });
    expect(parseHostPort("localhost:80", "--forward")).toEqual({ host: "localhost", port: 80 });
    expect(parseHostPort("[::1]:13389", "--listen")).toEqual({ host: "::1", port: 13389 });
  });
  it("rejects what isn't one, naming the flag", () => {
    expect(() => parseHostPort("3389", "--forward")).toThrow(UsageError);
    expect(() => parseHostPort("h:99999", "--listen")).toThrow(/--listen/);
  });
});
