/** Routes for programs and operators: health, readiness (a database round trip) and the reason catalogue. */
import { createRoute } from "@hono/zod-openapi";
import { HealthResponse, ReadyResponse } from "@tsunagi/api-contract/meta";
import { ReasonsQuery, ReasonsResponse } from "@tsunagi/api-contract/reasons";
import { type Model, reasonEntry, reasonKeys, reasonsOf } from "@tsunagi/core";
import { loggableError, ping } from "@tsunagi/db";
import { router, type Services } from "../context.js";
import { ApiError, errorResponse } from "../errors.js";
import { reasonFor } from "../reasons.js";

export function metaRoutes(services: Services) {
  return router()
    .openapi(
      createRoute({
        method: "get",
        path: "/health",
        tags: ["Operations"],
        summary: "Liveness: the process answers",
        responses: {
          200: { description: "Alive", content: { "application/json": { schema: HealthResponse } } },
        },
      }),
      (c) => c.json({ status: "ok" as const }, 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/ready",
        tags: ["Operations"],
        summary: "Readiness: the database answers",
        responses: {
          200: { description: "Ready", content: { "application/json": { schema: ReadyResponse } } },
          503: errorResponse("The database does not answer"),
        },
      }),
      async (c) => {
        try {
          await services.metrics.database("ready", () => ping(services.db));
        } catch (error) {
          services.logger.warn(
            { requestId: c.get("requestId"), err: loggableError(error) },
            "readiness check failed",
          );
          throw new ApiError(503, "not-ready", "The database does not answer");
        }
        return c.json({ status: "ready" as const }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/reasons",
        tags: ["Reasons"],
        summary: "The reason catalogue (public)",
        request: { query: ReasonsQuery },
        responses: {
          200: { description: "Every reason", content: { "application/json": { schema: ReasonsResponse } } },
          400: errorResponse("Invalid query"),
        },
      }),
      (c) => {
        const { lang, model } = c.req.valid("query");
        const keys = model ? reasonsOf(model as Model) : reasonKeys;
        const reasons = keys.map((key) => {
          const entry = reasonEntry(key);
          return {
            ...reasonFor(key, lang),
            models: [...entry.models],
            roles: [...entry.roles],
            severity: entry.severity,
            ours: entry.ours,
            recorded: entry.recorded,
          };
        });
        return c.json({ reasons }, 200);
      },
    );
}
