/**
 * Wire schemas shared by both ends: the relay's control messages over its WebSocket, and the admin
 * bodies whose validation is domain knowledge (permissions, restrictions, security settings). Defined
 * once here; the relay, the agent, the admin API and the TUI import them.
 *
 * Control messages are JSON text frames, one message per frame, discriminated by `type`.
 *
 * Binary framing convention: after pairing, tunnel data travels in binary frames whose first 4 bytes
 * are the channel id (unsigned, big-endian) and whose rest is the channel's payload; the format is
 * ./frames.ts's. Channels are opened and closed with the `open` / `close` control messages.
 *
 * Keys and signatures: the install key is Ed25519; `installPublicKey` is its SubjectPublicKeyInfo in
 * DER, base64-encoded (what `crypto.createPublicKey(...).export({ type: "spki", format: "der" })`
 * gives, 44 bytes). The challenge carries a 32-byte nonce and a 16-byte connection id, base64; the
 * proof is the Ed25519 signature (64 bytes, base64) of the transcript built by `deviceProofTranscript`
 * (./proof.ts), which binds the nonce to the relay's host part, the role, the user and the connection.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { normaliseMac, parseCidr } from "./address.js";
import { Edition, Product, ProductType } from "./domain.js";
import { MAC_TEXT_MAX, MachineId, OsUser, ProgramVersion, ReportedUserName, UsbKeySerial } from "./fields.js";
import { proofBindings } from "./proof.js";
import type { Lang } from "./reasons.js";
import { type Program, personFacingFailure } from "./reference-code.js";

/** The largest control message the relay accepts; larger frames get `error` / `oversize`. */
export const MAX_CONTROL_MESSAGE_BYTES = 16 * 1024;

const base64 = (label: string, maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, `${label} must be base64`);

const text = (max: number) => z.string().min(1).max(max);

/**
 * 32 random bytes, base64url without padding (43 characters): a data connection's token, a pool secret
 * or a sealed channel's key.
 */
export const DataToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, "token must be 32 bytes of base64url");

/** The request path of a data connection (docs/protocol.md "Data connections"). */
export const DATA_PATH = "/v1/data";
/** The `Upgrade` protocol of a data connection. */
export const DATA_UPGRADE = "tsunagi-data/1";
/** Request headers of a data connection: the session it parks for, and the session's pool secret. */
export const DATA_SESSION_HEADER = "tsunagi-session";
export const DATA_POOL_HEADER = "tsunagi-pool";
/** The bytes of a token as a data connection presents them (its first bytes after the 101). */
export const DATA_TOKEN_BYTES = 32;

// Reported fields (machine id, OS user, names, serial, MAC): their formats are core's (fields.ts).
export const DeviceIdentityWire = z.object({
  machineId: MachineId,
  osUser: OsUser,
  /** base64 DER SPKI of the Ed25519 install key. */
  installPublicKey: base64("device.installPublicKey", 128),
});

const helloCommon = {
  type: z.literal("hello"),
  /** The relay's host part (`asp1`, `fuji`). */
  server: text(63).regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i, "server must be a host part like asp1"),
  user: ReportedUserName("user"),
  password: z.string().max(1024),
  /** Any text up to the cap: a MAC that does not parse is judged and recorded as invalid (`recordedMac`). */
  mac: z.string().max(MAC_TEXT_MAX).optional(),
  /** The program's version, for the history and for refusing ancient programs. */
  version: ProgramVersion,
};

export const ViewerHello = z.object({
  ...helloCommon,
  role: z.literal("viewer"),
  product: Product,
  /** Omitted means standard. */
  edition: Edition.optional(),
  device: DeviceIdentityWire.optional(),
  usbKeySerial: UsbKeySerial.optional(),
  /** The client user name to reach; omitted means the viewer's own user name. */
  target: ReportedUserName("target").optional(),
});

export const ClientHello = z.object({ ...helloCommon, role: z.literal("client") });

export const Hello = z.discriminatedUnion("role", [ViewerHello, ClientHello]);
export type Hello = z.infer<typeof Hello>;

/** Relay → viewer with a device: sign the transcript of this challenge with the install key. */
export const Challenge = z.object({
  type: z.literal("challenge"),
  nonce: base64("nonce", 64),
  /** The relay's id for this connection (16 random bytes), part of the transcript. */
  connectionId: base64("connectionId", 64),
  /** "tls-exporter" when the relay terminates TLS itself; "connection-id" otherwise (behind a proxy). */
  binding: z.enum(proofBindings),
});
/** Viewer → relay: the Ed25519 signature of the transcript (core's `deviceProofTranscript`). */
export const Proof = z.object({ type: z.literal("proof"), signature: base64("signature", 128) });

export const ViewerPolicyWire = z.object({
  mayStoreLoginPassword: z.boolean(),
  mayStoreOsLogonPassword: z.boolean(),
});

export const Result = z.object({
  type: z.literal("result"),
  ok: z.literal(true),
  sessionId: text(128),
  policy: ViewerPolicyWire,
  /** Viewer only: the clients it may reach. */
  reachableClients: z.array(text(128)).optional(),
  /**
   * (ours) Data connections are available (docs/protocol.md "Data connections"): the session's pool
   * secret, which `GET /v1/data` must carry to park a connection, and how many may be parked at once.
   * Absent: the relay offers only the multiplexed path. `sealed`: the relay seals spliced channels end
   * to end (each `open` with a token carries the channel's `key`), and so also takes data connections
   * as plain TCP on its TLS port (docs/protocol.md "Sealed channels").
   */
  data: z
    .object({ pool: DataToken, max: z.number().int().min(1).max(64), sealed: z.boolean().optional() })
    .optional(),
});

/**
 * An authentication failure, as the person sees it. Strict: the reason must never travel, so any
 * extra key is a schema error rather than a silently forwarded field.
 */
export const AuthFailure = z.strictObject({
  type: z.literal("failure"),
  referenceCode: z.union([z.literal(283), z.literal(291), z.literal(293)]),
  message: text(200),
});

export type AuthFailure = z.infer<typeof AuthFailure>;

/** The failure message the relay sends: built from the program alone, never from the reason. */
export function authFailureFor(program: Program, lang: Lang = "en"): AuthFailure {
  const { referenceCode, message } = personFacingFailure(program, lang);
  return { type: "failure", referenceCode, message };
}

export const errorCodes = ["malformed", "oversize", "unavailable", "rate-limited"] as const;
/** A protocol-level error, not an authentication result (no reason, no reference code). */
export const ProtocolError = z.object({
  type: z.literal("error"),
  code: z.enum(errorCodes),
  message: text(500),
});

const channelId = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

/**
 * A channel's opening. Viewer → relay: `data: true` asks for a spliced data connection (the viewer
 * holds a parked one). Relay → viewer, only in answer to such a request: with `token` the channel is
 * spliced, without it the channel runs on the multiplexed path. Relay → client: with `token` the
 * client carries the channel on a data connection, without it on the multiplexed path. With `key`
 * (relay → agent, only beside a token) the channel is sealed: the two agents speak TLS 1.3 keyed by it
 * over the data connection (docs/protocol.md "Sealed channels").
 */
export const OpenChannel = z.object({
  type: z.literal("open"),
  channelId,
  data: z.boolean().optional(),
  token: DataToken.optional(),
  key: DataToken.optional(),
});
export const CloseChannel = z.object({
  type: z.literal("close"),
  channelId,
  reason: z.string().max(200).optional(),
});
/** Heartbeats keep a session from going stale (one minute, see SESSION_STALE_SECONDS in rules.ts). */
export const Ping = z.object({ type: z.literal("ping") });
export const Pong = z.object({ type: z.literal("pong") });

/** Everything a viewer or client may send. */
export const ToRelay = z.discriminatedUnion("type", [Hello, Proof, OpenChannel, CloseChannel, Ping, Pong]);
export type ToRelay = z.infer<typeof ToRelay>;

/** Everything the relay may send to a viewer or client. */
export const FromRelay = z.discriminatedUnion("type", [
  Challenge,
  Result,
  AuthFailure,
  ProtocolError,
  OpenChannel,
  CloseChannel,
  Ping,
  Pong,
]);
export type FromRelay = z.infer<typeof FromRelay>;

// ---------------------------------------------------------------------------------------------------
// Admin bodies. Refinements put the offending field in the message, because the TUI shows the message.

/** Program permissions (docs/domain.md "User management and batch management"). */
export const PermissionsBody = z.object({
  viewerProduct: ProductType.nullable(),
  viewerUsable: z.boolean(),
  mobileConcurrentUse: z.boolean(),
  clientUsable: z.boolean(),
  edition: Edition,
  allowNonPlusConcurrentUse: z.boolean(),
});
export type PermissionsBody = z.infer<typeof PermissionsBody>;

const MAX_ALLOW_ENTRIES = 256;

/** One allow-list: null allows all; a list allows only those. Entries come back canonical. */
const allowList = (
  field: string,
  parse: (entry: string) => { ok: true; value: string } | { ok: false; message: string },
) =>
  z
    .array(z.string().max(64))
    .max(MAX_ALLOW_ENTRIES, `${field}: at most ${MAX_ALLOW_ENTRIES} entries`)
    .nullable()
    .transform((entries, ctx) => {
      if (entries === null) return null;
      const out: string[] = [];
      entries.forEach((entry, index) => {
        const parsed = parse(entry);
        if (parsed.ok) out.push(parsed.value);
        else
          ctx.addIssue({ code: "custom", path: [index], message: `${field}[${index}]: ${parsed.message}` });
      });
      return [...new Set(out)];
    });

const cidrText = (entry: string) => {
  const parsed = parseCidr(entry);
  return parsed.ok ? { ok: true as const, value: parsed.value.text } : parsed;
};

/** IP and MAC address restrictions, each per role. */
export const RestrictionsBody = z.object({
  ipAllow: z.object({
    viewer: allowList("ipAllow.viewer", cidrText),
    client: allowList("ipAllow.client", cidrText),
  }),
  macAllow: z.object({
    viewer: allowList("macAllow.viewer", normaliseMac),
    client: allowList("macAllow.client", normaliseMac),
  }),
});
export type RestrictionsBody = z.infer<typeof RestrictionsBody>;

/** Mobile-viewer password saving. */
export const PasswordSavingBody = z.object({
  mayStoreLoginPassword: z.boolean(),
  mayStoreOsLogonPassword: z.boolean(),
});

/** The contract's security settings (ours): lock after `threshold` password failures for a while. */
export const LockoutPolicyBody = z.object({
  threshold: z.number().int().min(1, "threshold: at least 1").max(100, "threshold: at most 100"),
  durationSeconds: z
    .number()
    .int()
    .min(60, "durationSeconds: at least 60")
    .max(86_400, "durationSeconds: at most 86400 (one day)"),
});

// ---------------------------------------------------------------------------------------------------
// Close codes and routing (docs/protocol.md "Errors and close codes", "Fleet").

/** WebSocket close codes of the control connection, for both ends. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  malformed: 1008,
  oversize: 1009,
  tryAgainLater: 1013,
  authenticationFailed: 4000,
  disconnectedByAdmin: 4003,
  sessionEnded: 4004,
  /**
   * The relay is draining (an upgrade, a host going away): the session's lease is already released,
   * so the agent reconnects at once, through the load balancer, to another relay.
   */
  draining: 4010,
} as const;

/** The connect URL's query parameter carrying the routing key (HAProxy's `balance url_param`). */
export const ROUTE_PARAM = "route";

/**
 * The non-secret routing key of a pair: the same for a client and for every viewer that reaches it,
 * so a load balancer hashing on it sends both ends to one relay in the common case. It names the
 * client, never the viewer, and is a hash so that logs of the balancer show no user name.
 */
export function routingKey(serverHost: string, clientUser: string): string {
  return createHash("sha256")
    .update(`${serverHost.toLowerCase()}\u0000${clientUser.toLowerCase()}`)
    .digest("hex")
    .slice(0, 16);
}
