/**
 * When the agents try again after losing the relay: exponential backoff with jitter after a failure,
 * and almost at once after a drain (close 4010), which is no failure: the relay released the lease
 * before closing and asks to be left for another one. Shared by the client and the viewer.
 */
import { CloseCode } from "@tsunagi/core/wire";

export interface ReconnectOptions {
  /** The first wait after a failure; doubled after each further failure up to `maxMs`. */
  readonly initialMs?: number;
  readonly maxMs?: number;
}

/**
 * The most a drained agent waits before reconnecting. A relay drains all its agents at once; a
 * quarter second of spread keeps them from reaching the others in the same instant, and costs the
 * person nothing they would notice.
 */
export const DRAIN_JITTER_MS = 250;

/** The wait after a failure, growing while failures follow one another; a session that opened resets it. */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private delay: number;

  constructor(options: ReconnectOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.delay = this.initialMs;
  }

  /** A session opened: the next failure waits the initial delay again. */
  reset(): void {
    this.delay = this.initialMs;
  }

  /**
   * The wait before the next attempt after a failure. Half the delay plus a random part of the other
   * half: many agents cut off by one relay restart don't all come back in the same instant.
   */
  next(): number {
    const wait = Math.round(this.delay / 2 + Math.random() * (this.delay / 2));
    this.delay = Math.min(this.maxMs, Math.max(this.initialMs, this.delay * 2));
    return wait;
  }
}

/** The wait after a drain: 0 to DRAIN_JITTER_MS, never the backoff's. */
export function drainDelay(): number {
  return Math.floor(Math.random() * (DRAIN_JITTER_MS + 1));
}

/** Whether a relay connection's close asks the agent to reconnect at once (docs/protocol.md). */
export const isDrain = (code: number): boolean => code === CloseCode.draining;

/**
 * A wait that `stop()` (a caller giving up) can cut short. Resolves true when the time ran out, false
 * when it was woken.
 */
export class Pause {
  private wake: (() => void) | undefined;

  wait(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(true);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(false);
      };
    });
  }

  /** Ends the current wait, if any, at once. */
  interrupt(): void {
    this.wake?.();
  }
}
