/**
 * The relay's metrics for operators: `GET /metrics` in Prometheus text (prom-client), one Registry per
 * relay, never prom-client's global one, so relays sharing a process (the tests, the launcher) each
 * count their own. Gauges are read from the relay's live state at scrape time, never kept in step by
 * hand; counters and the database histogram are moved by one call where the thing happens.
 *
 * No label carries a user name, an address or a reason: only the closed sets below (apps/relay/README.md
 * "Metrics" lists every metric).
 */
import { getConnInfo } from "@hono/node-server/conninfo";
import { addressAllowed, sourceAddress } from "@tsunagi/core/address";
import type { Role } from "@tsunagi/core/domain";
import type { Context } from "hono";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
/**
 * How a handshake ended, as a class: `failure` is every refused login alike (the reason stays in the
 * access history), `malformed` a protocol error before authentication (the handshake timeout too).
 */
export const HANDSHAKE_OUTCOMES = [
  "success",
  "failure",
  "unavailable",
  "busy",
  "rate_limited",
  "malformed",
] as const;
export type HandshakeOutcome = (typeof HANDSHAKE_OUTCOMES)[number];

/** What the database histogram times: the heartbeat's one statement, an authentication's statements. */
export type DatabaseOperation = "heartbeat" | "authentication";

/** The relay's state the gauges read at scrape time (server.ts hands over its own). */
export interface RelayState {
  /** The open connections: their role, and the channels each holds (`peer`: the channel's far end). */
  readonly peers: { readonly all: ReadonlySet<SessionView> };
  readonly hashes: { readonly active: number; readonly queued: number };
  /** Whether this relay's node registration holds its lock (its liveness in the fleet). */
  nodeAlive(): boolean;
  draining(): boolean;
}

/** An open connection as the gauges see it: a viewer's or client's session, or a link to another relay. */
export interface SessionView {
  readonly role: Role | "link";
  readonly channels: ReadonlyMap<number, { readonly peer: { readonly role: Role | "link" } }>;
}

export interface RelayMetrics {
  readonly registry: Registry;
  handshake(outcome: HandshakeOutcome): void;
  /** Tunnel payload bytes forwarded from one agent towards another; `spliced` when a data connection carried them. */
  relayed(bytes: number, spliced?: boolean): void;
  database(operation: DatabaseOperation, seconds: number): void;
}

/** Seconds, from a fast statement on loopback to one stuck behind a lock. */
const DATABASE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createRelayMetrics(state: RelayState): RelayMetrics {
  const registry = new Registry();
  const registers = [registry];
  const handshakes = new Counter({
    name: "tsunagi_relay_handshakes_total",
    help: "Handshakes ended, by outcome class (success, failure, unavailable, busy, rate_limited, malformed)",
    labelNames: ["outcome"],
    registers,
  });
  // Every class from zero, so a rate over a class that has not happened yet is 0, not absent.
  for (const outcome of HANDSHAKE_OUTCOMES) handshakes.inc({ outcome }, 0);
  const relayedBytes = new Counter({
    name: "tsunagi_relay_relayed_bytes_total",
    help: "Tunnel payload bytes forwarded between agents, both directions",
    registers,
  });
  const splicedBytes = new Counter({
    name: "tsunagi_relay_spliced_bytes_total",
    help: "The part of tsunagi_relay_relayed_bytes_total spliced between data connections (the rest was multiplexed)",
    registers,
  });
  const databaseSeconds = new Histogram({
    name: "tsunagi_relay_database_seconds",
    help: "Database time: the heartbeat's statement, and an authentication's statements (without the password verification)",
    labelNames: ["operation"],
    buckets: DATABASE_BUCKETS,
    registers,
  });
  for (const operation of ["heartbeat", "authentication"] as const) databaseSeconds.zero({ operation });
  new Gauge({
    name: "tsunagi_relay_sessions",
    help: "Open (authenticated) sessions on this relay, by role",
    labelNames: ["role"],
    registers,
    collect() {
      const counts: Record<Role, number> = { viewer: 0, client: 0 };
      for (const peer of state.peers.all) if (peer.role !== "link") counts[peer.role]++;
      for (const [role, count] of Object.entries(counts)) this.set({ role }, count);
    },
  });
  new Gauge({
    name: "tsunagi_relay_channels",
    help: "Channels open through this relay",
    registers,
    collect() {
      let open = 0;
      for (const peer of state.peers.all) {
        // Each channel once: at its viewer's end, or at its client's end when the viewer is on another
        // relay (the far end is a link); a link's own ends are the other halves of those.
        if (peer.role === "viewer") open += peer.channels.size;
        else if (peer.role === "client") {
          for (const end of peer.channels.values()) if (end.peer.role !== "viewer") open++;
        }
      }
      this.set(open);
    },
  });
  new Gauge({
    name: "tsunagi_relay_hash_queue_depth",
    help: "Password verifications waiting for a slot",
    registers,
    collect() {
      this.set(state.hashes.queued);
    },
  });
  new Gauge({
    name: "tsunagi_relay_hash_active",
    help: "Password verifications running",
    registers,
    collect() {
      this.set(state.hashes.active);
    },
  });
  new Gauge({
    name: "tsunagi_relay_node_alive",
    help: "1 while this relay's node registration holds its liveness lock",
    registers,
    collect() {
      this.set(state.nodeAlive() ? 1 : 0);
    },
  });
  new Gauge({
    name: "tsunagi_relay_draining",
    help: "1 while this relay drains (stopped accepting, sending its agents elsewhere)",
    registers,
    collect() {
      this.set(state.draining() ? 1 : 0);
    },
  });
  return {
    registry,
    handshake: (outcome) => handshakes.inc({ outcome }),
    relayed: (bytes, spliced = false) => {
      relayedBytes.inc(bytes);
      if (spliced) splicedBytes.inc(bytes);
    },
    database: (operation, seconds) => databaseSeconds.observe({ operation }, seconds),
  };
}

/** The access rule for `/metrics`: who asks, by the rule every allow-list of the relay uses. */
export interface MetricsAccess {
  /** Addresses or CIDR ranges that get the metrics; anyone else gets 403. */
  readonly metricsAllowed: readonly string[];
  readonly trustedProxies: readonly string[];
}

/**
 * `GET /metrics`: the text for an allowed address, 403 for anyone else. The address is the socket's
 * peer (the one a trusted proxy's PROXY header named, server.ts), and X-Forwarded-For only from a
 * trusted proxy (core's `sourceAddress`): a proxy on this host must not make every outsider local.
 */
export function metricsHandler(metrics: RelayMetrics, access: MetricsAccess) {
  return async (c: Context) => {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      // No socket (a request handed to app.fetch directly): no address, which no allow-list admits.
      peer = undefined;
    }
    const source = sourceAddress(peer, c.req.header("x-forwarded-for"), access.trustedProxies);
    if (!addressAllowed(source, access.metricsAllowed)) {
      return c.json(
        { error: { code: "address-not-allowed", message: "Metrics are not served to this address" } },
        403,
      );
    }
    return c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType });
  };
}
