import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressAllowed,
  macAllowed,
  normaliseMac,
  parseCidr,
  rateLimitKey,
  sourceAddress,
  UNKNOWN_ADDRESS,
} from "./address.js";

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["10.1.2.3/8", "10.0.0.0/8"],
    ["203.0.113.7", "203.0.113.7/32"],
    [" 2001:DB8::1/32 ", "2001:db8::/32"],
    ["2001:db8::1", "2001:db8::1/128"],
    ["::ffff:192.0.2.0/120", "192.0.2.0/24"],
    ["::ffff:0:0/80", "::/80"],
    ["0.0.0.0/0", "0.0.0.0/0"],
  ])("%s → %s", (input, canonical) => {
    expect(parseCidr(input)).toMatchObject({ ok: true, value: { text: canonical } });
  });

  it.each([
    "",
    "10.0.0.0/33",
    "10.0.0/8",
    "10.1",
    "0x0a.0.0.1",
    "2001:db8::/129",
    "10.0.0.0/-1",
    "10.0.0.0/8/8",
    "fe80::1%eth0",
    "example.com",
  ])("rejects %j naming the input", (input) => {
    const parsed = parseCidr(input);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain(`"${input}"`);
  });

  it("round-trips any IPv4 range to its own canonical form", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (ip, prefix) => {
        const first = parseCidr(`${ip}/${prefix}`);
        expect(first.ok).toBe(true);
        if (!first.ok) return;
        expect(parseCidr(first.value.text)).toMatchObject({ ok: true, value: { text: first.value.text } });
        // The address lies in its own range.
        expect(addressAllowed(ip, [first.value.text])).toBe(true);
      }),
    );
  });

  it("puts any IPv6 address in its own /n range", () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (ip, prefix) => {
        expect(addressAllowed(ip, [`${ip}/${prefix}`])).toBe(true);
      }),
    );
  });
});

describe("addressAllowed", () => {
  const list = ["203.0.113.0/24", "2001:db8::/32"];

  it("matches IPv4, IPv6 and IPv4-mapped IPv6", () => {
    expect(addressAllowed("203.0.113.200", list)).toBe(true);
    expect(addressAllowed("203.0.114.1", list)).toBe(false);
    expect(addressAllowed("2001:db8:ffff::1", list)).toBe(true);
    expect(addressAllowed("2001:db9::1", list)).toBe(false);
    expect(addressAllowed("::ffff:203.0.113.9", list)).toBe(true);
    expect(addressAllowed("::ffff:cb00:7109", list)).toBe(true);
  });

  it("denies what doesn't parse, and everything for an empty list", () => {
    expect(addressAllowed("not-an-ip", list)).toBe(false);
    expect(addressAllowed("203.0.113.1", [])).toBe(false);
  });
});

describe("normaliseMac", () => {
  it.each([
    "aa:bb:cc:dd:ee:ff",
    "AA-BB-CC-DD-EE-FF",
    "aabb.ccdd.eeff",
    "AABBCCDDEEFF",
    " aa-bb:cc-dd:ee-ff ",
  ])("%j → aa:bb:cc:dd:ee:ff", (input) => {
    expect(normaliseMac(input)).toEqual({ ok: true, value: "aa:bb:cc:dd:ee:ff" });
  });

  it.each(["", "aa:bb:cc:dd:ee", "gg:bb:cc:dd:ee:ff", "aabb.ccdd", "aa:bb:cc:dd:ee:ff:00"])(
    "rejects %j",
    (input) => {
      expect(normaliseMac(input).ok).toBe(false);
    },
  );

  it("every spelling of the same bytes normalises to one form", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        (bytes, upper) => {
          const hex = bytes.map((b) => b.toString(16).padStart(2, "0"));
          const canonical = hex.join(":");
          const spellings = [
            hex.join("-"),
            `${hex[0]}${hex[1]}.${hex[2]}${hex[3]}.${hex[4]}${hex[5]}`,
            hex.join(""),
          ];
          for (const s of spellings) {
            expect(normaliseMac(upper ? s.toUpperCase() : s)).toEqual({ ok: true, value: canonical });
            expect(macAllowed(s, [canonical.toUpperCase()])).toBe(true);
          }
        },
      ),
    );
  });

  it("macAllowed denies a missing MAC", () => {
    expect(macAllowed(undefined, ["aa:bb:cc:dd:ee:ff"])).toBe(false);
  });
});

describe("sourceAddress", () => {
  it("uses the socket's peer when it isn't a trusted proxy, whatever the header says", () => {
    expect(sourceAddress("203.0.113.9", "10.0.0.1", [])).toBe("203.0.113.9");
    expect(sourceAddress("203.0.113.9", "10.0.0.1", ["127.0.0.1"])).toBe("203.0.113.9");
  });
  it("reads X-Forwarded-For from the right through trusted proxies: the right-most untrusted hop", () => {
    expect(sourceAddress("::ffff:127.0.0.1", "198.51.100.1, 203.0.113.7", ["127.0.0.1"])).toBe("203.0.113.7");
    expect(sourceAddress("127.0.0.1", ["203.0.113.7", "10.0.0.2"], ["127.0.0.1", "10.0.0.0/8"])).toBe(
      "203.0.113.7",
    );
    expect(sourceAddress("127.0.0.1", "203.0.113.7, 10.0.0.2", ["127.0.0.1", "10.0.0.0/8"])).toBe(
      "203.0.113.7",
    );
  });
  it.each([
    ["1.2.3.4:5678", "1.2.3.4"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["[::ffff:203.0.113.7]:80", "203.0.113.7"],
    [" 203.0.113.7 ", "203.0.113.7"],
    ["2001:db8::1:443", "2001:db8::1:443"],
  ])("from a trusted proxy, reads the hop %j as %s (a port and brackets taken off)", (hop, address) => {
    expect(sourceAddress("127.0.0.1", `198.51.100.1, ${hop}`, ["127.0.0.1"])).toBe(address);
  });
  it("skips a trusted proxy written with a port, as any other hop", () => {
    expect(sourceAddress("127.0.0.1", "203.0.113.7, 10.0.0.2:3128", ["127.0.0.1", "10.0.0.0/8"])).toBe(
      "203.0.113.7",
    );
  });
  it.each([
    ["no header", undefined],
    ["an empty header", ""],
    ["only commas", " , ,"],
    ["unknown", "unknown"],
    ["no address", "not-an-address"],
    ["a name", "client.example"],
    ["an obfuscated identifier", "_hidden"],
    ["a port too long", "1.2.3.4:123456"],
    ["brackets round nothing", "[]:443"],
    ["an IPv6 address with a zone", "[fe80::1%eth0]"],
    ["a garbled right-most hop behind a good one", "203.0.113.7, not-an-address"],
    ["a garbled hop behind trusted ones", "203.0.113.7, garbage, 10.0.0.2"],
  ])("from a trusted proxy, %s is the unknown address, never the proxy's", (_, header) => {
    const source = sourceAddress("127.0.0.1", header, ["127.0.0.1", "10.0.0.0/8"]);
    expect(source).toBe(UNKNOWN_ADDRESS);
    expect(source).not.toBe("127.0.0.1");
  });
  it("when every hop is a trusted proxy, is the left-most (a proxy's own request); without a socket, empty", () => {
    expect(sourceAddress("127.0.0.1", "10.0.0.3, 10.0.0.2", ["127.0.0.1", "10.0.0.0/8"])).toBe("10.0.0.3");
    expect(sourceAddress(undefined, "192.0.2.1", ["0.0.0.0/0"])).toBe("");
  });
  it("canonicalises IPv4-mapped addresses", () => {
    expect(sourceAddress("::ffff:192.0.2.1", undefined, [])).toBe("192.0.2.1");
  });
  it("the unknown address lies in no range, not even everything, and has a rate-limit key of its own", () => {
    expect(addressAllowed(UNKNOWN_ADDRESS, ["0.0.0.0/0", "::/0", "127.0.0.0/8", "::ffff:0:0/96"])).toBe(
      false,
    );
    expect(rateLimitKey(UNKNOWN_ADDRESS)).toBe(UNKNOWN_ADDRESS);
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        expect(rateLimitKey(ip)).not.toBe(rateLimitKey(UNKNOWN_ADDRESS));
      }),
    );
  });
});

describe("rateLimitKey", () => {
  it("keys IPv4 by the address and IPv6 by its /64", () => {
    expect(rateLimitKey("192.0.2.7")).toBe("192.0.2.7");
    expect(rateLimitKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(rateLimitKey("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKey("2001:db8:1:2:bbbb::9")).toBe(rateLimitKey("2001:db8:1:2:aaaa::1"));
    expect(rateLimitKey("2001:db8:1:3::1")).not.toBe(rateLimitKey("2001:db8:1:2::1"));
  });
});
