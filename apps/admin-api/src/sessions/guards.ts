/**
 * What stands between a flood and the password hashes: the login rate limits, per source address
 * (IPv6 by its /64) and per login name, and the bounded queue of argon2 verifications that logins and
 * password changes share. One set per app; a refusal says when to come back (Retry-After).
 */
import { verifyAgainstDummy, verifySecret } from "@tsunagi/core/password";
import { RateLimiter } from "@tsunagi/core/rate-limit";
import type { Context } from "hono";
import type { Services } from "../context.js";
import { ApiError } from "../errors.js";

/** Seconds a caller refused by a full hash queue waits: the queue drains within about that. */
export const BUSY_RETRY_SECONDS = 1;
/** Buckets are swept (full ones forgotten) once per this many attempts, so the maps stay small. */
const SWEEP_EVERY = 1_000;

/** A refusal that tells the caller when to come back (`Retry-After`, seconds). */
export function retryLater(c: Context, status: 429 | 503, seconds: number): ApiError {
  c.header("Retry-After", String(seconds));
  return status === 429
    ? new ApiError(429, "rate-limited", `Too many login attempts: retry in ${seconds} s`)
    : new ApiError(503, "busy", `Too many logins in progress: retry in ${seconds} s`);
}

export interface LoginGuards {
  perAddress: RateLimiter;
  perName: RateLimiter;
  /** Call once per attempt: every SWEEP_EVERY attempts the full buckets are forgotten. */
  sweep(): void;
  /** One argon2 verification through the bounded queue (the dummy hash when there is none); null when the queue is full. */
  verify(hash: string | undefined, password: string): Promise<boolean | null>;
}

export function loginGuards(services: Services): LoginGuards {
  const { clock, config, hashes } = services;
  const millis = () => clock().getTime();
  const perAddress = new RateLimiter(config.loginRateLimitPerAddress, millis);
  const perName = new RateLimiter(config.loginRateLimitPerName, millis);
  let sinceSweep = 0;
  return {
    perAddress,
    perName,
    sweep() {
      if (++sinceSweep < SWEEP_EVERY) return;
      sinceSweep = 0;
      perAddress.sweep();
      perName.sweep();
    },
    async verify(hash, password) {
      const done = await hashes.run(() =>
        hash === undefined ? verifyAgainstDummy(password) : verifySecret(hash, password),
      );
      return done === null ? null : done.value;
    },
  };
}
