/**
 * The source (global) address of a connection, as the IP restriction and the history see it: the
 * socket's peer, unless that peer is a configured trusted proxy, in which case X-Forwarded-For is read
 * from the right, skipping further trusted proxies. A header from anyone else is ignored, or any
 * client could claim an allowed address.
 */
import { addressAllowed, parseAddress } from "@tsunagi/core";

/** The address in canonical text (IPv4-mapped IPv6 becomes IPv4); the raw text if it doesn't parse. */
export function canonicalAddress(text: string): string {
  const parsed = parseAddress(text);
  if (parsed === null) return text;
  return parsed.kind() === "ipv6"
    ? (parsed as { toRFC5952String(): string }).toRFC5952String()
    : parsed.toString();
}

export function sourceAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: readonly string[],
): string {
  const peer = canonicalAddress(socketAddress ?? "");
  if (trustedProxies.length === 0 || !addressAllowed(peer, trustedProxies)) return peer;
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(",") : (forwardedFor ?? "");
  const hops = header
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => hop.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = canonicalAddress(hops[i] ?? "");
    if (parseAddress(hop) === null) return peer; // a garbled header: trust only what we saw
    if (!addressAllowed(hop, trustedProxies)) return hop;
  }
  return peer;
}
