/** @tsunagi/admin-api: the app factory and its typed route table (`AdminApi`, for `hono/client`). */
export { type AdminApi, createApp } from "./app.js";
export type { AdminApiConfig, Deps } from "./context.js";
