/**
 * What every route is built from: the dependencies handed to `createApp`, the per-request variables,
 * and `router()`, the one way to make an OpenAPIHono so every router shares the validation hook.
 */
import { availableParallelism } from "node:os";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { RateLimit } from "@tsunagi/core";
import type { Semaphore } from "@tsunagi/core/semaphore";
import type { Database } from "@tsunagi/db";
import type { Logger } from "pino";
import { validationHook } from "./errors.js";
import { type AdminMetrics, DEFAULT_METRICS_ALLOWED } from "./metrics.js";

export interface AdminApiConfig {
  /** Absolute session lifetime; the contract's idle timeout ends sessions sooner. */
  sessionTtlSeconds?: number;
  /**
   * Addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed, read from the right
   * (core's `sourceAddress`, as the relay does). Empty: the socket's peer is the client address, and a
   * header from anyone else is ignored, or a caller could claim any address past the allow-list.
   */
  trustedProxies?: readonly string[];
  /** `POST /sessions` per source address (IPv6 by its /64): beyond it, 429 with Retry-After. */
  loginRateLimitPerAddress?: RateLimit;
  /** `POST /sessions` per (server, login name, inside or outside the admin allow-list). */
  loginRateLimitPerName?: RateLimit;
  /** Concurrent argon2 verifications (logins, password changes); the core count by default. */
  maxConcurrentHashes?: number;
  /** Verifications allowed to wait for a slot; beyond that, 503 with Retry-After. */
  maxQueuedHashes?: number;
  /** Largest request body in bytes (64 KiB by default); beyond it, 413. */
  maxBodyBytes?: number;
  /** Largest body of a bulk change: CSV import, batch patch, link sets (2 MiB by default). */
  maxBulkBodyBytes?: number;
  /** Addresses or CIDR ranges that may read `GET /metrics` (this host by default); anyone else gets 403. */
  metricsAllowed?: readonly string[];
}

export interface Deps {
  db: Database;
  /** Injected so tests can move time (idle timeout, lockout) without sleeping. */
  clock?: () => Date;
  logger?: Logger;
  config: AdminApiConfig;
}

/**
 * The production defaults. Logins: a burst of 20 per address then one every 5 s, a burst of 10 per
 * login name then one every 10 s (the lockout is the real guard; these keep floods off the hash
 * queue), one verification per core and 64 waiting.
 */
export function resolveConfig(config: AdminApiConfig): Required<AdminApiConfig> {
  return {
    sessionTtlSeconds: config.sessionTtlSeconds ?? 12 * 3600,
    trustedProxies: config.trustedProxies ?? [],
    loginRateLimitPerAddress: config.loginRateLimitPerAddress ?? { burst: 20, perSecond: 0.2 },
    loginRateLimitPerName: config.loginRateLimitPerName ?? { burst: 10, perSecond: 0.1 },
    maxConcurrentHashes: config.maxConcurrentHashes ?? availableParallelism(),
    maxQueuedHashes: config.maxQueuedHashes ?? 64,
    maxBodyBytes: config.maxBodyBytes ?? 64 * 1024,
    maxBulkBodyBytes: config.maxBulkBodyBytes ?? 2 * 1024 * 1024,
    metricsAllowed: config.metricsAllowed ?? DEFAULT_METRICS_ALLOWED,
  };
}

/** Deps with the defaults filled in. */
export interface Services {
  db: Database;
  clock: () => Date;
  logger: Logger;
  config: Required<AdminApiConfig>;
  /** The argon2 verifications' bounded queue, shared by logins and password changes (sessions/guards.ts). */
  hashes: Semaphore;
  metrics: AdminMetrics;
}

/** The signed-in account manager, as the auth middleware finds it. */
export interface AdminContext {
  adminId: string;
  login: string;
  contractId: string;
  contract: {
    code: string;
    name: string;
    model: "legacy" | "neo";
    serverHost: string;
    timeZone: string;
    /** Months of history shown before the current one (older rows are hidden, then dropped). */
    historyRetentionMonths: number;
  };
  temporaryPassword: boolean;
  tokenHash: string;
  expiresAt: Date;
  idleTimeoutSeconds: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set on every authenticated route; public routes never read it. */
    admin: AdminContext;
    clientAddress: string | undefined;
  };
}

/** An OpenAPIHono with the shared validation hook: every router is made here. */
export function router() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
