/**
 * The admin API: `createApp(deps)` builds the OpenAPIHono app with its routes chained, so
 * `AdminApi` carries every route's types to `hono/client` (the TUI's api/client.ts).
 */
import { Semaphore } from "@tsunagi/core/semaphore";
import { requestId } from "hono/request-id";
import { pino } from "pino";
import { authenticate } from "./auth.js";
import { type Deps, resolveConfig, router, type Services } from "./context.js";
import { docsRoutes, securityHeaders } from "./docs.js";
import { errorBody, errorHandler } from "./errors.js";
import { bodySizeLimit, bodyTextGuard, percentEncodingGuard } from "./input.js";
import { createAdminMetrics, METRICS_PATH, metricsEndpoint } from "./metrics.js";
import { activeSessionRoutes } from "./routes/active-sessions.js";
import { auditRoutes } from "./routes/audit.js";
import { groupRoutes } from "./routes/groups/index.js";
import { historyRoutes } from "./routes/history/index.js";
import { metaRoutes } from "./routes/meta.js";
import { securityRoutes } from "./routes/security.js";
import { sessionRoutes } from "./routes/sessions/index.js";
import { userRoutes } from "./routes/users/index.js";

export function createApp(deps: Deps) {
  const config = resolveConfig(deps.config);
  const hashes = new Semaphore(config.maxConcurrentHashes, config.maxQueuedHashes);
  const services: Services = {
    db: deps.db,
    clock: deps.clock ?? (() => new Date()),
    logger: deps.logger ?? pino({ level: "silent" }),
    config,
    hashes,
    metrics: createAdminMetrics({ hashes }),
  };
  const { logger, metrics } = services;

  // Middleware adds no route types, so it goes on the base; the routes are chained for AdminApi.
  const base = router();
  // First, so every answer carries them: pages, JSON, CSV, 4xx, 5xx and 404.
  base.use(securityHeaders());
  base.use(requestId());
  base.use(metrics.requests);
  base.use(async (c, next) => {
    const started = performance.now();
    await next();
    // One line per request; no headers, no bodies, no query strings: nothing secret gets in.
    logger.info(
      {
        requestId: c.get("requestId"),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        admin: c.var.admin?.login,
        contract: c.var.admin?.contract.code,
      },
      "request",
    );
  });
  base.use(authenticate(services));
  // After authentication: a caller without a session never gets its body read. Then the input
  // guards, before any route's validation (see input.ts).
  base.use(bodySizeLimit(services.config.maxBodyBytes, services.config.maxBulkBodyBytes));
  base.use(percentEncodingGuard());
  base.use(bodyTextGuard());

  base.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "The token from POST /sessions",
  });
  base.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Tsunagi admin API",
      version: "1.0.0",
      description:
        "The account manager's functions: access history, user management, grouping, security, active sessions. Log in with POST /sessions, then send `Authorization: Bearer <token>`.",
    },
  });
  base.route("/", docsRoutes());
  base.get("/", (c) => c.redirect("/docs"));
  // The operators' endpoint: a plain route, so it stays out of the OpenAPI document and AdminApi.
  base.get(METRICS_PATH, metricsEndpoint(metrics, config.metricsAllowed));
  base.notFound((c) => c.json(errorBody(c, "not-found", `No route ${c.req.method} ${c.req.path}`), 404));
  base.onError(errorHandler(logger));

  const app = base
    .route("/", metaRoutes(services))
    .route("/", sessionRoutes(services))
    .route("/", historyRoutes(services))
    .route("/", userRoutes(services))
    .route("/", groupRoutes(services))
    .route("/", securityRoutes(services))
    .route("/", activeSessionRoutes(services))
    .route("/", auditRoutes(services));
  return app;
}

/** The typed route table, for `hono/client`. */
export type AdminApi = ReturnType<typeof createApp>;
