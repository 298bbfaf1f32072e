/**
 * A counting semaphore with a bounded queue: it caps concurrent argon2 verifications (at the core count,
 * say), so a login flood waits its turn and, beyond the queue, is refused instead of exhausting memory.
 */
export class Semaphore {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(
    readonly limit: number,
    readonly maxQueued: number,
  ) {}

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** Runs `task` when a slot is free; null (without running it) when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<{ value: T } | null> {
    if (this.#active >= this.limit) {
      if (this.#waiting.length >= this.maxQueued) return null;
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return { value: await task() };
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so #active never dips and lets a newcomer jump the queue.
      if (next) next();
      else this.#active--;
    }
  }
}
