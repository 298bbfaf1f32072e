/**
 * @tsunagi/db: the connection, the schema and the queries the relay and the admin API share. Starting
 * a database is `@tsunagi/db/server`'s; test databases are `@tsunagi/db/testing`'s.
 */
export * from "./client.js";
export * from "./errors.js";
export * from "./queries/index.js";
export * as schema from "./schema/index.js";
// Temporary, until the relay's and the admin API's imports of the server move to @tsunagi/db/server
// (their main.ts, tsunagi-ops, benchmarks and tests): then this line goes.
export * from "./server/index.js";
