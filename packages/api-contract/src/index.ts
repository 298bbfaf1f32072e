/**
 * @tsunagi/api-contract: the admin API's request and response schemas (zod with their OpenAPI
 * metadata), its error codes and the history CSV's headers, one module per resource. The admin API
 * validates and documents with them, the TUI and the msw handlers take their types and CSV words.
 * Import a resource's subpath (`@tsunagi/api-contract/users`) or, for types, this index.
 */
export * from "./active-sessions.js";
export * from "./audit.js";
export * from "./common.js";
export * from "./csv.js";
export * from "./errors.js";
export * from "./groups.js";
export * from "./history.js";
export * from "./meta.js";
export * from "./reasons.js";
export * from "./security.js";
export * from "./sessions.js";
export * from "./users.js";
