/** The relay's small parts on their own: source address, rate limiter, semaphore. */
import { UNKNOWN_ADDRESS } from "@tsunagi/core/address";
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../src/rate-limit.js";
import { Semaphore } from "../src/semaphore.js";
import { sourceAddress } from "../src/source-address.js";

describe("sourceAddress", () => {
  it("uses the socket's peer when it isn't a trusted proxy, whatever the header says", () => {
    expect(sourceAddress("203.0.113.9", "10.0.0.1", [])).toBe("203.0.113.9");
    expect(sourceAddress("203.0.113.9", "10.0.0.1", ["127.0.0.1"])).toBe("203.0.113.9");
  });
  it("reads X-Forwarded-For from the right through trusted proxies", () => {
    expect(sourceAddress("::ffff:127.0.0.1", "198.51.100.1, 203.0.113.7", ["127.0.0.1"])).toBe("203.0.113.7");
    expect(sourceAddress("127.0.0.1", "203.0.113.7, 10.0.0.2", ["127.0.0.1", "10.0.0.0/8"])).toBe(
      "203.0.113.7",
    );
  });
  it("from a trusted proxy, a garbled or missing header is the unknown address, never the proxy's", () => {
    expect(sourceAddress("127.0.0.1", "not-an-address", ["127.0.0.1"])).toBe(UNKNOWN_ADDRESS);
    expect(sourceAddress("127.0.0.1", undefined, ["127.0.0.1"])).toBe(UNKNOWN_ADDRESS);
  });
  it("canonicalises IPv4-mapped addresses", () => {
    expect(sourceAddress("::ffff:192.0.2.1", undefined, [])).toBe("192.0.2.1");
  });
});

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
});

describe("Semaphore", () => {
  it("never runs more than its limit and refuses beyond the queue", async () => {
    const sem = new Semaphore(2, 3);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
      return 1;
    };
    const results = await Promise.all(Array.from({ length: 8 }, () => sem.run(task)));
    expect(peak).toBe(2);
    expect(results.filter((r) => r === null)).toHaveLength(3);
    expect(sem.active).toBe(0);
    expect(sem.queued).toBe(0);
  });
});
