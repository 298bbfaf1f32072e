/**
 * The admin API's metrics for operators: `GET /metrics` in Prometheus text (prom-client), one Registry
 * per app, never prom-client's global one, so apps sharing a process (the tests, the launcher) each
 * count their own. Requests are counted by route template, never by path (a path holds user names);
 * logins by outcome class, never by login name or why; gauges are read at scrape time.
 *
 * The endpoint is the operators', not the account managers': it is left out of the OpenAPI document and
 * answered only to `metricsAllowed` (README "Metrics" lists every metric).
 */
import { addressAllowed } from "@tsunagi/core/address";
import type { Semaphore } from "@tsunagi/core/semaphore";
import type { Context, Handler, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { AppEnv } from "./context.js";
import { ApiError } from "./errors.js";

/** Who may read `/metrics` unless TSUNAGI_METRICS_ALLOWED says otherwise: this host only. */
export const DEFAULT_METRICS_ALLOWED: readonly string[] = ["127.0.0.0/8", "::1/128"];

export const METRICS_PATH = "/metrics";

/**
 * How `POST /sessions` ended, from its answer (every failed login is one 401, login.ts): `malformed`
 * is a body refused before the login ran, `error` anything the server could not answer (the database).
 */
export const LOGIN_OUTCOMES = ["success", "failure", "rate_limited", "busy", "malformed", "error"] as const;
export type LoginOutcome = (typeof LOGIN_OUTCOMES)[number];

/** What the API was doing when it went to the database: a request's session, a login, the readiness check. */
export type DatabaseOperation = "session" | "login" | "ready";
const DATABASE_OPERATIONS: readonly DatabaseOperation[] = ["session", "login", "ready"];

/** Methods named in a label; anything else is `other`, so a caller cannot mint label values. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export interface AdminMetrics {
  readonly registry: Registry;
  /** Counts and times every request (goes early, so refusals by later middleware count too). */
  readonly requests: MiddlewareHandler;
  /** Runs one database statement and records its time under `operation`. */
  database<T>(operation: DatabaseOperation, statement: () => Promise<T>): Promise<T>;
}

function loginOutcome(status: number): LoginOutcome {
  if (status >= 200 && status < 300) return "success";
  if (status === 401) return "failure";
  if (status === 429) return "rate_limited";
  if (status === 503) return "busy";
  if (status >= 400 && status < 500) return "malformed";
  return "error";
}

/**
 * The route template that answered (`/users/:userName`), never the path itself; `unmatched` when no
 * route did (a 404, or a method the path does not have), whatever the path held.
 */
function routeOf(c: Context): string {
  const handler = matchedRoutes(c).findLast((route) => route.method !== "ALL");
  return handler?.path ?? "unmatched";
}

export function createAdminMetrics(state: { readonly hashes: Semaphore }): AdminMetrics {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: "tsunagi_admin_requests_total",
    help: "Requests answered, by route template, method and status class",
    labelNames: ["route", "method", "status_class"],
    registers,
  });
  const duration = new Histogram({
    name: "tsunagi_admin_request_duration_seconds",
    help: "Time to answer a request, by route template and method",
    labelNames: ["route", "method"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const logins = new Counter({
    name: "tsunagi_admin_logins_total",
    help: "Account managers' logins (POST /sessions), by outcome class (success, failure, rate_limited, busy, malformed, error)",
    labelNames: ["outcome"],
    registers,
  });
  // Every class from zero, so a rate over a class that has not happened yet is 0, not absent.
  for (const outcome of LOGIN_OUTCOMES) logins.inc({ outcome }, 0);
  const databaseSeconds = new Histogram({
    name: "tsunagi_admin_database_seconds",
    help: "Database statement time, by what the API was doing (session, login, ready)",
    labelNames: ["operation"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  for (const operation of DATABASE_OPERATIONS) databaseSeconds.zero({ operation });
  new Gauge({
    name: "tsunagi_admin_hash_queue_depth",
    help: "Password verifications (logins, password changes) waiting for a slot",
    registers,
    collect() {
      this.set(state.hashes.queued);
    },
  });
  new Gauge({
    name: "tsunagi_admin_hash_active",
    help: "Password verifications running",
    registers,
    collect() {
      this.set(state.hashes.active);
    },
  });

  return {
    registry,
    requests: async (c, next) => {
      const started = performance.now();
      await next();
      const route = routeOf(c);
      const method = METHODS.has(c.req.method) ? c.req.method : "other";
      const status = c.res.status;
      requests.inc({ route, method, status_class: `${Math.floor(status / 100)}xx` });
      duration.observe({ route, method }, (performance.now() - started) / 1000);
      if (route === "/sessions" && method === "POST") logins.inc({ outcome: loginOutcome(status) });
    },
    async database(operation, statement) {
      const started = performance.now();
      try {
        return await statement();
      } finally {
        databaseSeconds.observe({ operation }, (performance.now() - started) / 1000);
      }
    },
  };
}

/**
 * `GET /metrics`: the text for an allowed address, 403 for anyone else. The address is the one the
 * authentication middleware found: the socket's peer, X-Forwarded-For only from a trusted proxy
 * (`clientAddressOf` in auth.ts), so a proxy on this host does not make every outsider local.
 */
export function metricsEndpoint(metrics: AdminMetrics, allowed: readonly string[]): Handler<AppEnv> {
  return async (c) => {
    const address = c.get("clientAddress");
    if (address === undefined || !addressAllowed(address, allowed)) {
      throw new ApiError(403, "address-not-allowed", "Metrics are served to the operators' addresses only");
    }
    return c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType });
  };
}
