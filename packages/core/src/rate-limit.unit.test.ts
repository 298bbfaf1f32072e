/** Token buckets: the burst, the refill, and the seconds until a token is back. */
import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit.js";

describe("RateLimiter", () => {
  it("allows the burst, then refills at the rate", () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 2, perSecond: 1 }, () => now);
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([true, true, false]);
    expect(limiter.take("b")).toBe(true);
    now = 1000;
    expect(limiter.take("a")).toBe(true);
    expect(limiter.take("a")).toBe(false);
    now = 10_000;
    limiter.sweep();
    expect(limiter.size).toBe(0);
  });

  it("says how many whole seconds until a token is back", () => {
    let now = 0;
    const limiter = new RateLimiter({ burst: 1, perSecond: 0.1 }, () => now);
    expect(limiter.admit("a")).toEqual({ ok: true });
    expect(limiter.admit("a")).toEqual({ ok: false, retryAfterSeconds: 10 });
    now = 7_500;
    expect(limiter.admit("a")).toEqual({ ok: false, retryAfterSeconds: 3 });
    now = 10_000;
    expect(limiter.admit("a")).toEqual({ ok: true });
  });
});
