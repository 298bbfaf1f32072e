/** Health and readiness: what a load balancer or an orchestrator asks. */
import { z } from "@hono/zod-openapi";

export const HealthResponse = z.object({ status: z.literal("ok") });
export const ReadyResponse = z.object({ status: z.literal("ready") });
