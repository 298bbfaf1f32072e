/**
 * @tsunagi/db/server: where the database runs, for the programs that start one (the launcher, the
 * servers' own entry points, `pnpm seed`, benchmarks): DATABASE_URL or the embedded PostgreSQL, its
 * data directory, and the platform database created and migrated on first use.
 */
export * from "./embedded.js";
export * from "./env.js";
export * from "./platform.js";
