/** @tsunagi/db: the schema, the connection, the embedded server and the shared queries. */
export * from "./client.js";
export * from "./env.js";
export * from "./errors.js";
export * from "./platform.js";
export * from "./queries/index.js";
export * as schema from "./schema/index.js";
export * from "./server.js";
