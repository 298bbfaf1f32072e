/**
 * The device proof's transcript (docs/protocol.md "Handshake"): what a viewer's install key signs and
 * the relay verifies. Signing the bare nonce let a hostile relay pass a real relay's challenge to a
 * victim viewer and replay its signature; the transcript binds the nonce to the relay's host part, the
 * role, the user name and the connection, so a signature made for one connection proves nothing on
 * another.
 *
 * Layout: the domain-separation prefix (ASCII, NUL-terminated), the version (2 bytes), then each field
 * as a 4-byte big-endian length and its bytes: binding, nonce, connection id, server, role, user,
 * TLS exporter value (empty for the connection-id binding). Text fields are UTF-8.
 */
import type { Role } from "./domain.js";

export const DEVICE_PROOF_VERSION = 1;
/** Separates these signatures from anything else the install key might ever sign. */
export const DEVICE_PROOF_PREFIX = "tsunagi device proof";
/** The RFC 5705 / RFC 8446 exporter label both ends feed to `exportKeyingMaterial`. */
export const TLS_EXPORTER_LABEL = "EXPORTER-tsunagi-device-proof";
export const TLS_EXPORTER_BYTES = 32;
/** The exporter's context: empty (the transcript binds everything else), the same at both ends. */
export const TLS_EXPORTER_CONTEXT = new Uint8Array(0);

/**
 * What ties the proof to the connection: the TLS exporter when the relay terminates TLS itself (both
 * ends derive the same value from their TLS session, which no one in between shares); otherwise only
 * the connection id the relay chose and sent with the challenge (behind a TLS-terminating proxy the
 * relay has no TLS session to export from).
 */
export const proofBindings = ["tls-exporter", "connection-id"] as const;
export type ProofBinding = (typeof proofBindings)[number];

export interface ProofTranscriptInput {
  readonly binding: ProofBinding;
  readonly nonce: Uint8Array;
  readonly connectionId: Uint8Array;
  /** The relay's host part as the viewer means it (its hello's `server`). */
  readonly server: string;
  readonly role: Role;
  readonly user: string;
  /** Required for the tls-exporter binding; ignored (an empty field) for connection-id. */
  readonly tlsExporter?: Uint8Array | undefined;
}

const utf8 = new TextEncoder();

/** The bytes the install key signs; the same input always gives the same bytes on both ends. */
export function deviceProofTranscript(input: ProofTranscriptInput): Uint8Array {
  if (input.binding === "tls-exporter" && input.tlsExporter?.length !== TLS_EXPORTER_BYTES) {
    throw new Error(`the tls-exporter binding needs a ${TLS_EXPORTER_BYTES}-byte exporter value`);
  }
  const fields = [
    utf8.encode(input.binding),
    input.nonce,
    input.connectionId,
    utf8.encode(input.server),
    utf8.encode(input.role),
    utf8.encode(input.user),
    input.binding === "tls-exporter" ? (input.tlsExporter as Uint8Array) : new Uint8Array(0),
  ];
  const prefix = utf8.encode(`${DEVICE_PROOF_PREFIX}\u0000`);
  const size = prefix.length + 2 + fields.reduce((sum, field) => sum + 4 + field.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(prefix, 0);
  let at = prefix.length;
  view.setUint16(at, DEVICE_PROOF_VERSION, false);
  at += 2;
  for (const field of fields) {
    view.setUint32(at, field.length, false);
    out.set(field, at + 4);
    at += 4 + field.length;
  }
  return out;
}
