/**
 * The relay's heartbeat: one timer per relay that pings every open session's agent and renews all
 * their leases in one statement (`heartbeatMany`), then tells each connection to carry on or close
 * (docs/protocol.md "Sessions"): 10,000 connected agents cost one write per interval, not 10,000.
 */
import { type Database, heartbeatMany, type LeaseState, loggableError } from "@tsunagi/db";
import type { Log } from "./log.js";
import type { RelayMetrics } from "./metrics.js";

/** An open session as the heartbeat sees it (connection.ts registers one per session). */
export interface Beating {
  readonly sessionId: string;
  /** Pings the agent; false when the last ping went unanswered (the connection is dropped, its lease left to go stale). */
  ping(): boolean;
  /** What the lease's renewal said: gone, must end, or carry on. */
  renewed(lease: LeaseState): void;
}

export class Heartbeats {
  private readonly beating = new Set<Beating>();
  private timer: NodeJS.Timeout | undefined;
  /** The previous interval's statement has not returned: this interval's pings go out, no second statement. */
  private renewing = false;

  constructor(
    private readonly db: Database,
    private readonly log: Log,
    private readonly intervalMs: number,
    private readonly metrics?: Pick<RelayMetrics, "database">,
  ) {}

  add(session: Beating): void {
    this.beating.add(session);
  }

  delete(session: Beating): void {
    this.beating.delete(session);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.beat(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    const answering = [...this.beating].filter((session) => session.ping());
    if (answering.length === 0 || this.renewing) return;
    this.renewing = true;
    try {
      const started = performance.now();
      const leases = await heartbeatMany(
        this.db,
        answering.map((session) => session.sessionId),
      );
      this.metrics?.database("heartbeat", (performance.now() - started) / 1000);
      for (const session of answering) {
        // A session that closed while the statement ran has released its lease: nothing to tell it.
        const lease = leases.get(session.sessionId);
        if (lease && this.beating.has(session)) session.renewed(lease);
      }
    } catch (error) {
      // The database is away: keep the sessions; their leases are renewed once it is back.
      this.log({ event: "database-error", during: "heartbeat", error: loggableError(error) });
    } finally {
      this.renewing = false;
    }
  }
}
