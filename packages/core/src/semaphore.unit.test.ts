/** The bounded queue in front of argon2: never more running than its limit, refusals beyond the queue. */
import { describe, expect, it } from "vitest";
import { Semaphore } from "./semaphore.js";

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
