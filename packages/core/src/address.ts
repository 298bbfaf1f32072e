/**
 * Parsing and matching for the IP and MAC allow-lists of user management, and the one answer to
 * "where does this connection come from" (behind trusted proxies) that the relay and the admin API
 * share. The admin API reuses the parsers to reject bad input naming the field; the rules reuse the
 * matchers. IP handling goes through ipaddr.js rather than hand-written bit twiddling.
 */
import ipaddr from "ipaddr.js";

/** Expected failures are values: the admin API turns `message` into a field error. */
export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

export interface Cidr {
  readonly kind: "ipv4" | "ipv6";
  /** Network address, with host bits cleared. */
  readonly network: string;
  readonly prefix: number;
  /** Canonical text (`10.0.0.0/8`, `2001:db8::/32`): what the admin API stores. */
  readonly text: string;
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * One address in strict text form. IPv4 must be four decimal parts: ipaddr.js also accepts legacy
 * forms such as `10.1` or `0x0a.0.0.1`, which nobody means in an allow-list. IPv4-mapped IPv6
 * (`::ffff:10.0.0.1`) becomes its IPv4 address, so a relay behind a dual-stack socket still matches
 * IPv4 ranges.
 */
export function parseAddress(text: string): Address | null {
  const raw = parseRawAddress(text);
  return raw !== null && raw.kind() === "ipv6" && (raw as ipaddr.IPv6).isIPv4MappedAddress()
    ? (raw as ipaddr.IPv6).toIPv4Address()
    : raw;
}

/** As `parseAddress`, but an IPv4-mapped IPv6 address stays IPv6. */
function parseRawAddress(text: string): Address | null {
  const trimmed = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return ipaddr.IPv4.parse(trimmed);
  if (!trimmed.includes(":") || !ipaddr.IPv6.isValid(trimmed)) return null;
  const v6 = ipaddr.IPv6.parse(trimmed);
  return v6.zoneId === undefined ? v6 : null;
}

/**
 * An allow-list entry: a CIDR range, or a bare address meaning just that address (/32 or /128).
 * Host bits are cleared (`10.0.0.1/8` → `10.0.0.0/8`), so the stored form is the range it matches.
 * An IPv4-mapped range of /96 or longer (`::ffff:192.0.2.0/120`) is stored as the IPv4 range it means.
 */
export function parseCidr(text: string): Parsed<Cidr> {
  const trimmed = text.trim();
  const slash = trimmed.indexOf("/");
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefixText = slash === -1 ? null : trimmed.slice(slash + 1);
  let address = parseRawAddress(addressText);
  if (address === null) {
    return { ok: false, message: `"${text}" is not an IPv4 or IPv6 address or CIDR range` };
  }
  const max = address.kind() === "ipv4" ? 32 : 128;
  let prefix = max;
  if (prefixText !== null) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      return { ok: false, message: `"${text}" has an invalid prefix length (0–${max})` };
    }
    prefix = Number(prefixText);
  }
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    address = (address as ipaddr.IPv6).toIPv4Address();
    prefix -= 96;
  }
  const network = networkOf(address, prefix);
  const networkText =
    network.kind() === "ipv6" ? (network as ipaddr.IPv6).toRFC5952String() : network.toString();
  return {
    ok: true,
    value: { kind: network.kind(), network: networkText, prefix, text: `${networkText}/${prefix}` },
  };
}

function networkOf(address: Address, prefix: number): Address {
  const bytes = address.toByteArray();
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    bytes[i] = (bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return ipaddr.fromByteArray(bytes);
}

/** Whether `address` lies in any of the ranges. An address that doesn't parse matches nothing. */
export function addressAllowed(address: string, ranges: readonly string[]): boolean {
  const raw = parseRawAddress(address);
  if (raw === null) return false;
  // A mapped address is tried both as IPv4 and as itself, so it matches `192.0.2.0/24` and `::/0`.
  const forms = [raw, parseAddress(address)].filter((form): form is Address => form !== null);
  return ranges.some((text) => {
    const range = parseCidr(text);
    if (!range.ok) return false;
    const { kind, network, prefix } = range.value;
    return forms.some((form) => form.kind() === kind && form.match(ipaddr.parse(network), prefix));
  });
}

/** The address in canonical text (IPv4-mapped IPv6 becomes IPv4); the raw text if it doesn't parse. */
export function canonicalAddress(text: string): string {
  const parsed = parseAddress(text);
  if (parsed === null) return text;
  return parsed.kind() === "ipv6" ? (parsed as ipaddr.IPv6).toRFC5952String() : parsed.toString();
}

/**
 * The source address of a connection that came through a trusted proxy which did not say where from
 * (no X-Forwarded-For, or a hop that is no address even with its port and brackets taken off). It is
 * no address, so no allow-list admits it, not even `0.0.0.0/0`; it is logged and recorded as written.
 */
export const UNKNOWN_ADDRESS = "unknown";

/**
 * One X-Forwarded-For hop as an address in canonical text, or null. Load balancers also write
 * `1.2.3.4:5678`, `[2001:db8::1]` and `[2001:db8::1]:443`: the port and brackets are taken off. A
 * bare IPv6 address keeps all its groups (`2001:db8::1:443` is an address, not one with a port).
 */
function hopAddress(hop: string): string | null {
  const text = hop.trim();
  const bracketed = /^\[([^\]]*)\](?::\d{1,5})?$/.exec(text);
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(text);
  const address = bracketed?.[1] ?? ipv4WithPort?.[1] ?? text;
  return parseAddress(address) === null ? null : canonicalAddress(address);
}

/**
 * The source (global) address of a connection, as allow-lists, rate limits and the logs see it: the
 * socket's peer, unless that peer is one of `trustedProxies`, in which case X-Forwarded-For is read
 * from the right, skipping further trusted proxies; the right-most hop that is not a trusted proxy is
 * the source. Entries to its left were written by whoever sent the request, so they prove nothing. A
 * header from anyone else is ignored, or any client could claim an allowed address. From a trusted
 * proxy, a missing header or a hop that is no address gives UNKNOWN_ADDRESS, never the proxy's own
 * address: that would put every client in one rate-limit bucket and inside any allow-list covering
 * the proxy. Every hop a trusted proxy: the left-most (a proxy's own request). No socket: "".
 */
export function sourceAddress(
  socketAddress: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trustedProxies: readonly string[],
): string {
  const peer = canonicalAddress(socketAddress ?? "");
  if (trustedProxies.length === 0 || !addressAllowed(peer, trustedProxies)) return peer;
  const header = typeof forwardedFor === "string" ? forwardedFor : (forwardedFor ?? []).join(",");
  const hops = header
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => hop.length > 0);
  let source: string = UNKNOWN_ADDRESS;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hopAddress(hops[i] ?? "");
    if (hop === null) return UNKNOWN_ADDRESS;
    source = hop;
    if (!addressAllowed(hop, trustedProxies)) return hop;
  }
  return source;
}

/**
 * The key a per-address rate limit counts under: an IPv4 address as itself, an IPv6 address by its
 * /64, since one subscriber commonly holds a whole /64 and could otherwise take a fresh bucket per
 * address. Text that doesn't parse is its own key.
 */
export function rateLimitKey(address: string): string {
  const parsed = parseAddress(address);
  if (parsed === null) return address;
  if (parsed.kind() === "ipv4") return parsed.toString();
  const network = networkOf(parsed, 64) as ipaddr.IPv6;
  return `${network.toRFC5952String()}/64`;
}

const macPatterns = [
  /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})\.([0-9a-f]{2})([0-9a-f]{2})$/i,
  /^([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i,
];

/**
 * A MAC address in any common spelling (`aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff`,
 * `aabbccddeeff`) as one canonical form, lowercase and colon-separated, so the allow-list compares
 * what the admin typed with what the device reports. Mixed separators (`aa:bb-cc…`) are accepted: the
 * service's own screens show both, and the bytes are unambiguous.
 */
export function normaliseMac(text: string): Parsed<string> {
  const trimmed = text.trim();
  for (const pattern of macPatterns) {
    const match = pattern.exec(trimmed);
    if (match) return { ok: true, value: match.slice(1, 7).join(":").toLowerCase() };
  }
  return { ok: false, message: `"${text}" is not a MAC address (expected e.g. aa:bb:cc:dd:ee:ff)` };
}

/** Whether the device's MAC is on the list. A missing or unparsable MAC matches nothing. */
export function macAllowed(mac: string | undefined, allowed: readonly string[]): boolean {
  if (mac === undefined) return false;
  const device = normaliseMac(mac);
  if (!device.ok) return false;
  return allowed.some((entry) => {
    const normalised = normaliseMac(entry);
    return normalised.ok && normalised.value === device.value;
  });
}
