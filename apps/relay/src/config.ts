/** The relay's tunables, with the production defaults; tests shorten the windows and loosen the limits. */
import { availableParallelism } from "node:os";
import { DEFAULT_MAX_CHANNELS } from "@tsunagi/core/frames";
import { SESSION_STALE_SECONDS } from "@tsunagi/core/rules";

export interface RateLimit {
  /** Attempts allowed at once (bucket size). */
  readonly burst: number;
  /** Attempts regained per second. */
  readonly perSecond: number;
}

export interface RelayConfig {
  /** A session whose heartbeat is this old is stale: it no longer holds the user name (one minute). */
  readonly staleAfterSeconds: number;
  /** How often each open session renews its lease and checks for an admin's disconnect request. */
  readonly heartbeatIntervalMs: number;
  /** Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  /**
   * A connection from a trusted proxy opens with a PROXY v2 header naming its source (HAProxy's
   * `send-proxy-v2`); one that does not is closed. Others' bytes are read as ever.
   */
  readonly proxyProtocol: boolean;
  readonly rateLimitPerAddress: RateLimit;
  readonly rateLimitPerUser: RateLimit;
  /** Concurrent argon2 verifications; more attempts queue. */
  readonly maxConcurrentHashes: number;
  /** Attempts allowed to wait for a verification slot; beyond that the relay answers "rate-limited". */
  readonly maxQueuedHashes: number;
  /** A connection must send its hello (and proof) within this time. */
  readonly handshakeTimeoutMs: number;
  /** Largest binary (tunnel) frame accepted; agents send at most 120 KiB of payload per frame. */
  readonly maxBinaryFrameBytes: number;
  /**
   * Bytes queued towards one peer before the relay stops reading from the sender (a safety net under
   * the agents' per-channel windows, for senders that ignore them).
   */
  readonly peerHighWaterBytes: number;
  /**
   * Bytes queued towards one connection beyond which it is not reading and is dropped (1008, logged),
   * whatever filled its queue; twice `peerHighWaterBytes` unless set (docs/protocol.md "Limits").
   */
  readonly maxQueuedBytes: number;
  /**
   * Channels open at once on one viewer's connection, and on one client's (all its viewers together);
   * an `open` beyond it is answered with `close` (docs/protocol.md "Limits").
   */
  readonly maxChannelsPerSession: number;
  /** Addresses or CIDR ranges that may read `GET /metrics` (metrics.ts); anyone else gets 403. */
  readonly metricsAllowed: readonly string[];
  /** How often the node checks its liveness lock and reaps dead nodes (docs/architecture.md "Fleet"). */
  readonly reapIntervalMs: number;
  /** A drain sends the last agents away after this long, channels open or not. */
  readonly drainDeadlineMs: number;
}

export const defaultConfig: RelayConfig = {
  staleAfterSeconds: SESSION_STALE_SECONDS,
  heartbeatIntervalMs: 15_000,
  trustedProxies: [],
  proxyProtocol: false,
  rateLimitPerAddress: { burst: 30, perSecond: 0.5 },
  rateLimitPerUser: { burst: 10, perSecond: 0.2 },
  maxConcurrentHashes: availableParallelism(),
  maxQueuedHashes: 1_000,
  handshakeTimeoutMs: 15_000,
  maxBinaryFrameBytes: 256 * 1024,
  peerHighWaterBytes: 8 * 1024 * 1024,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxChannelsPerSession: DEFAULT_MAX_CHANNELS,
  metricsAllowed: ["127.0.0.0/8", "::1/128"],
  reapIntervalMs: 2_000,
  drainDeadlineMs: 30_000,
};

export function resolveConfig(overrides: Partial<RelayConfig> = {}): RelayConfig {
  const highWater = overrides.peerHighWaterBytes ?? defaultConfig.peerHighWaterBytes;
  return { ...defaultConfig, maxQueuedBytes: 2 * highWater, ...overrides };
}
