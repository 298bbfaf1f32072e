/**
 * Token buckets keyed by source address, user or login name: cheap to check before the (deliberately
 * slow) password verification, so guessing and floods are refused early. Pure: the clock is injected.
 */

export interface RateLimit {
  /** Attempts allowed at once (bucket size). */
  readonly burst: number;
  /** Attempts regained per second. */
  readonly perSecond: number;
}

/** An attempt let through, or refused with the whole seconds until the bucket holds a token again. */
export type Admission = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();

  /** `now` in milliseconds (Date.now by default): tests move it instead of sleeping. */
  constructor(
    readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    return this.admit(key).ok;
  }

  /** Takes one token for `key`, or says how long until one is back (what `Retry-After` carries). */
  admit(key: string): Admission {
    const now = this.now();
    const bucket = this.#buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(
      this.limit.burst,
      bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * this.limit.perSecond,
    );
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      const seconds = this.limit.perSecond > 0 ? (1 - bucket.tokens) / this.limit.perSecond : 3600;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(seconds)) };
    }
    bucket.tokens -= 1;
    return { ok: true };
  }

  /** Forgets full buckets, so the map holds only keys that were busy lately. */
  sweep(): void {
    const now = this.now();
    for (const [key, bucket] of this.#buckets) {
      const tokens = bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond;
      if (tokens >= this.limit.burst) this.#buckets.delete(key);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}
