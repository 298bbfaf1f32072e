/**
 * @tsunagi/db: the connection, the schema and the queries the relay and the admin API share. Starting
 * a database is `@tsunagi/db/server`'s; test databases are `@tsunagi/db/testing`'s.
 */
export * from "./client.js";
export * from "./errors.js";
export * from "./queries/index.js";
export * as schema from "./schema/index.js";
