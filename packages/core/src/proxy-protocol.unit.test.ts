/** The PROXY v2 header parser: what HAProxy's `send-proxy-v2` writes, and what a relay must refuse. */
import { describe, expect, it } from "vitest";
import { PROXY_V2_SIGNATURE, parseProxyHeader, proxyHeader } from "./proxy-protocol.js";

/** A v2 header with the given version/command and family/transport bytes and body. */
function raw(versionCommand: number, familyTransport: number, body: number[]): Buffer {
  return Buffer.concat([
    PROXY_V2_SIGNATURE,
    Buffer.from([versionCommand, familyTransport, body.length >> 8, body.length & 0xff]),
    Buffer.from(body),
  ]);
}

const ipv4Body = [203, 0, 113, 7, 192, 0, 2, 1, 0xc3, 0x50, 0x1c, 0xf2];

describe("parseProxyHeader", () => {
  it("reads PROXY over TCP/IPv4: source and destination, ports, the header's length", () => {
    const header = raw(0x21, 0x11, ipv4Body);
    expect(parseProxyHeader(Buffer.concat([header, Buffer.from("GET / HTTP/1.1\r\n")]))).toEqual({
      kind: "proxy",
      length: 28,
      source: "203.0.113.7",
      sourcePort: 50_000,
      destination: "192.0.2.1",
      destinationPort: 7410,
    });
  });

  it("reads PROXY over TCP/IPv6, canonical (and IPv4-mapped as IPv4)", () => {
    const header = proxyHeader({ address: "2001:db8::7", port: 1 }, { address: "::1", port: 2 });
    expect(header.length).toBe(16 + 36);
    expect(parseProxyHeader(header)).toMatchObject({
      kind: "proxy",
      length: 52,
      source: "2001:db8::7",
      sourcePort: 1,
      destination: "::1",
      destinationPort: 2,
    });
    const mapped = proxyHeader({ address: "::ffff:cb00:7107", port: 1 }, { address: "::1", port: 2 });
    expect(parseProxyHeader(mapped)).toMatchObject({ kind: "proxy", source: "203.0.113.7" });
  });

  it("skips TLVs: the length covers them, the addresses are still read", () => {
    const tlvs = Buffer.from([0x04, 0x00, 0x03, 0x61, 0x62, 0x63, 0x01, 0x00, 0x02, 0x68, 0x32]);
    const header = proxyHeader({ address: "203.0.113.7", port: 9 }, { address: "192.0.2.1", port: 7 }, tlvs);
    expect(parseProxyHeader(Buffer.concat([header, Buffer.from("rest")]))).toMatchObject({
      kind: "proxy",
      length: 28 + tlvs.length,
      source: "203.0.113.7",
    });
  });

  it("reads LOCAL (and non-TCP transports) as the connection's own peer", () => {
    expect(parseProxyHeader(raw(0x20, 0x00, []))).toEqual({ kind: "local", length: 16 });
    expect(parseProxyHeader(raw(0x20, 0x11, ipv4Body))).toEqual({ kind: "local", length: 28 });
    expect(parseProxyHeader(raw(0x21, 0x12, ipv4Body))).toEqual({ kind: "local", length: 28 });
    expect(parseProxyHeader(raw(0x21, 0x00, []))).toEqual({ kind: "local", length: 16 });
  });

  it("asks for more bytes while the header is truncated, at every length", () => {
    const header = proxyHeader({ address: "2001:db8::7", port: 1 }, { address: "::1", port: 2 });
    for (let n = 0; n < header.length; n++) {
      expect(parseProxyHeader(header.subarray(0, n))).toEqual({ kind: "incomplete" });
    }
  });

  it.each([
    ["HTTP instead of a header", Buffer.from("GET /v1/connect HTTP/1.1\r\n\r\n")],
    ["the v1 text form", Buffer.from("PROXY TCP4 203.0.113.7 192.0.2.1 50000 7410\r\n")],
    [
      "a signature broken at its last byte",
      Buffer.concat([PROXY_V2_SIGNATURE.subarray(0, 11), Buffer.from([0])]),
    ],
    ["version 1 in the binary form", raw(0x11, 0x11, ipv4Body)],
    ["an unknown command", raw(0x22, 0x11, ipv4Body)],
    ["an unknown family", raw(0x21, 0x41, ipv4Body)],
    ["an unknown transport", raw(0x21, 0x13, ipv4Body)],
    ["IPv4 addresses cut short by the length", raw(0x21, 0x11, ipv4Body.slice(0, 11))],
    ["IPv6 addresses cut short by the length", raw(0x21, 0x21, ipv4Body)],
  ])("refuses %s", (_, bytes) => {
    expect(parseProxyHeader(bytes)).toMatchObject({ kind: "invalid" });
  });

  it("refuses a wrong first byte before the rest arrives", () => {
    expect(parseProxyHeader(Buffer.from("G"))).toMatchObject({ kind: "invalid" });
  });
});
