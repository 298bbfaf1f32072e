/**
 * The typed client of the admin API, for the TUI and scripts: `hono/client` over the chained routes,
 * with the bearer token added to every request.
 *
 *   const api = createAdminClient("http://127.0.0.1:8787", { token });
 *   const res = await api.users.$get({ query: { q: "user" } });
 */
import { hc } from "hono/client";
import type { AdminApi } from "./app.js";

export interface AdminClientOptions {
  token?: string;
  fetch?: typeof fetch;
}

export function createAdminClient(baseUrl: string, options: AdminClientOptions = {}) {
  return hc<AdminApi>(baseUrl, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    headers: (): Record<string, string> =>
      options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
}

export type AdminClient = ReturnType<typeof createAdminClient>;
export type { AdminApi } from "./app.js";
export * from "./schemas.js";
