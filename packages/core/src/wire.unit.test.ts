import { describe, expect, it } from "vitest";
import {
  AuthFailure,
  authFailureFor,
  FromRelay,
  Hello,
  RestrictionsBody,
  routingKey,
  ToRelay,
} from "./wire.js";

const viewerHello = {
  type: "hello",
  role: "viewer",
  server: "asp1",
  user: "user1",
  password: "pw",
  product: "terminal-ndl-s",
  device: { machineId: "m", osUser: "alice", installPublicKey: "MCowBQYDK2VwAyEA" },
  version: "1.0.0",
} as const;

describe("relay messages", () => {
  it("accepts a viewer hello and requires a product of viewers only", () => {
    expect(Hello.parse(viewerHello)).toMatchObject({ role: "viewer", product: "terminal-ndl-s" });
    expect(Hello.safeParse({ ...viewerHello, product: undefined }).success).toBe(false);
    const { product: _p, device: _d, ...clientHello } = viewerHello;
    expect(Hello.parse({ ...clientHello, role: "client" })).toMatchObject({ role: "client" });
  });

  it("rejects a server that isn't a host part, and non-base64 keys", () => {
    expect(Hello.safeParse({ ...viewerHello, server: "asp1.example.net/x" }).success).toBe(false);
    expect(
      Hello.safeParse({ ...viewerHello, device: { ...viewerHello.device, installPublicKey: "not base64!" } })
        .success,
    ).toBe(false);
  });

  it("routes every message by type", () => {
    expect(ToRelay.parse({ type: "proof", signature: "c2ln" }).type).toBe("proof");
    expect(
      FromRelay.parse({ type: "challenge", nonce: "bm9uY2U=", connectionId: "aWQ=", binding: "tls-exporter" })
        .type,
    ).toBe("challenge");
    expect(FromRelay.parse({ type: "error", code: "rate-limited", message: "slow down" }).type).toBe("error");
    expect(ToRelay.safeParse({ type: "result" }).success).toBe(false);
  });

  it("a failure carries the reference code and message and nothing else", () => {
    const failure = authFailureFor({ role: "viewer", product: "usb-ndl" });
    expect(failure).toEqual({
      type: "failure",
      referenceCode: 291,
      message: "Authentication error (reference code 291)",
    });
    expect(AuthFailure.safeParse({ ...failure, reason: "password-mismatch-viewer" }).success).toBe(false);
  });
});

describe("admin bodies", () => {
  it("canonicalises restrictions", () => {
    const body = RestrictionsBody.parse({
      ipAllow: { viewer: ["10.1.2.3/8", "10.0.0.0/8"], client: null },
      macAllow: { viewer: null, client: ["AA-BB-CC-DD-EE-FF"] },
    });
    expect(body).toEqual({
      ipAllow: { viewer: ["10.0.0.0/8"], client: null },
      macAllow: { viewer: null, client: ["aa:bb:cc:dd:ee:ff"] },
    });
  });

  it("names the field and entry of bad input", () => {
    const result = RestrictionsBody.safeParse({
      ipAllow: { viewer: null, client: ["198.51.100.0/24", "300.1.1.1"] },
      macAllow: { viewer: ["nope"], client: null },
    });
    expect(result.success).toBe(false);
    if (result.success) return;
    const messages = result.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
    expect(messages).toContainEqual(
      expect.stringContaining('ipAllow.client.1 ipAllow.client[1]: "300.1.1.1"'),
    );
    expect(messages).toContainEqual(expect.stringContaining('macAllow.viewer.0 macAllow.viewer[0]: "nope"'));
  });
});

describe("routingKey", () => {
  it("is the same for a client and the viewers that reach it, whatever the case, and names no one", () => {
    const key = routingKey("asp1", "User1");
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(routingKey("ASP1", "user1")).toBe(key);
    expect(routingKey("asp1", "user2")).not.toBe(key);
    expect(routingKey("asp2", "user1")).not.toBe(key);
    expect(key).not.toContain("user1");
  });
});
