/** @tsunagi/admin-api: the app factory, its typed route table, and the schemas the TUI shares. */
export { type AdminApi, createApp } from "./app.js";
export type { AdminApiConfig, Deps } from "./context.js";
export * from "./schemas.js";
