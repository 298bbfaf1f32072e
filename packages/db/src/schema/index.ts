/** The whole schema, re-exported for drizzle and for the apps' queries. */
export * from "./admins.js";
export * from "./audit.js";
export * from "./contracts.js";
export * from "./enums.js";
export * from "./fleet.js";
export * from "./groups.js";
export * from "./history.js";
export * from "./sessions.js";
export * from "./users.js";
