/** The queries the apps share, each tested on a real database. */

export * from "./admin-active-sessions.js";
export * from "./admin-audit.js";
export * from "./admin-groups.js";
export * from "./admin-login.js";
export * from "./admin-security.js";
export * from "./admin-sessions.js";
export * from "./admin-users.js";
export * from "./attempts.js";
export * from "./fleet.js";
export * from "./handshake.js";
export * from "./health.js";
export * from "./history.js";
export * from "./history-csv.js";
export * from "./history-maintenance.js";
export * from "./provisioning.js";
export * from "./sessions.js";
export * from "./users.js";
