/**
 * The PROXY protocol, version 2 (HAProxy's binary header): where a connection that reached the relay
 * through a load balancer really comes from. Pure: it reads the bytes received so far and says how
 * long the header is and what it names; the relay (which alone decides whom to believe) does the I/O.
 * Spec: https://www.haproxy.org/download/2.6/doc/proxy-protocol.txt, section 2.2. Version 1 (text)
 * is not read: HAProxy sends v2 with `send-proxy-v2`, and a relay should not guess between them.
 */
import ipaddr from "ipaddr.js";
import { canonicalAddress } from "./address.js";

/** The 12 bytes every v2 header opens with (`\r\n\r\n\0\r\nQUIT\n`). */
export const PROXY_V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);

/** Signature, version and command, family and transport, length of what follows. */
const FIXED_BYTES = 16;

/** The longest header accepted: the fixed part plus its 16-bit length. */
export const PROXY_V2_MAX_BYTES = FIXED_BYTES + 0xffff;

export type ProxyHeader =
  /** Too few bytes yet to tell: read more (everything so far is consistent with a header). */
  | { readonly kind: "incomplete" }
  /** Not a v2 header, or a broken one: the connection is refused. */
  | { readonly kind: "invalid"; readonly message: string }
  /**
   * LOCAL (the proxy's own health check), or PROXY for a family or transport other than TCP over
   * IPv4/IPv6 (UNSPEC, UDP, unix sockets): the connection's own peer is its source, as the spec says.
   */
  | { readonly kind: "local"; readonly length: number }
  /** PROXY over TCP: the source address (canonical text) and port the proxy names. */
  | {
      readonly kind: "proxy";
      readonly length: number;
      readonly source: string;
      readonly sourcePort: number;
      readonly destination: string;
      readonly destinationPort: number;
    };

const INCOMPLETE: ProxyHeader = { kind: "incomplete" };

/**
 * Reads a v2 header at the start of `bytes`. `length` counts the whole header, TLVs included (they are
 * skipped: nothing the relay needs is in them); the bytes after it belong to the connection.
 */
export function parseProxyHeader(bytes: Uint8Array): ProxyHeader {
  const signatureBytes = Math.min(bytes.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < signatureBytes; i++) {
    if (bytes[i] !== PROXY_V2_SIGNATURE[i]) return { kind: "invalid", message: "no PROXY v2 signature" };
  }
  if (bytes.length < FIXED_BYTES) return INCOMPLETE;
  const versionCommand = bytes[12] ?? 0;
  const version = versionCommand >> 4;
  const command = versionCommand & 0x0f;
  if (version !== 2) return { kind: "invalid", message: `PROXY protocol version ${version}, not 2` };
  if (command > 1)
    return { kind: "invalid", message: `PROXY v2 command ${command} is neither LOCAL nor PROXY` };
  const familyTransport = bytes[13] ?? 0;
  const family = familyTransport >> 4;
  const transport = familyTransport & 0x0f;
  if (family > 3 || transport > 2) {
    return {
      kind: "invalid",
      message: `PROXY v2 family/transport 0x${familyTransport.toString(16)} is unknown`,
    };
  }
  const length = FIXED_BYTES + (((bytes[14] ?? 0) << 8) | (bytes[15] ?? 0));
  if (bytes.length < length) return INCOMPLETE;
  const tcp = transport === 1;
  if (command === 0 || !tcp || family === 0 || family === 3) return { kind: "local", length };
  const addressBytes = family === 1 ? 4 : 16;
  const needed = 2 * addressBytes + 4;
  if (length - FIXED_BYTES < needed) {
    return {
      kind: "invalid",
      message: `PROXY v2 addresses need ${needed} bytes, the header has ${length - FIXED_BYTES}`,
    };
  }
  const at = (offset: number) => bytes.subarray(FIXED_BYTES + offset, FIXED_BYTES + offset + addressBytes);
  const port = (offset: number) =>
    ((bytes[FIXED_BYTES + offset] ?? 0) << 8) | (bytes[FIXED_BYTES + offset + 1] ?? 0);
  return {
    kind: "proxy",
    length,
    source: addressText(at(0)),
    destination: addressText(at(addressBytes)),
    sourcePort: port(2 * addressBytes),
    destinationPort: port(2 * addressBytes + 2),
  };
}

function addressText(bytes: Uint8Array): string {
  if (bytes.length === 4) return canonicalAddress(bytes.join("."));
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return canonicalAddress(groups.join(":"));
}

/** A v2 PROXY header over TCP naming `source` → `destination` (for tests and tools that act as a proxy). */
export function proxyHeader(
  source: { readonly address: string; readonly port: number },
  destination: { readonly address: string; readonly port: number },
  tlvs: Uint8Array = new Uint8Array(0),
): Buffer {
  const v6 = source.address.includes(":");
  const addressBytes = v6 ? 16 : 4;
  const body = Buffer.alloc(2 * addressBytes + 4 + tlvs.length);
  const write = (address: string, offset: number) => {
    const parsed = ipaddr.parse(address);
    body.set(
      v6 && parsed.kind() === "ipv4"
        ? (parsed as ipaddr.IPv4).toIPv4MappedAddress().toByteArray()
        : parsed.toByteArray(),
      offset,
    );
  };
  write(source.address, 0);
  write(destination.address, addressBytes);
  body.writeUInt16BE(source.port, 2 * addressBytes);
  body.writeUInt16BE(destination.port, 2 * addressBytes + 2);
  body.set(tlvs, 2 * addressBytes + 4);
  const fixed = Buffer.alloc(4);
  fixed.writeUInt8(0x21, 0);
  fixed.writeUInt8(v6 ? 0x21 : 0x11, 1);
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, body]);
}
