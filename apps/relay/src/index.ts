/** @tsunagi/relay: the relay as a library (tests, benchmarks, the platform launcher). */
export { defaultConfig, type RelayConfig } from "./config.js";
export { CloseCode } from "./connection.js";
export { jsonLog, type Log, silentLog } from "./log.js";
export { CONNECT_PATH, createRelay, type Relay, type RelayDeps } from "./server.js";
export { sourceAddress } from "./source-address.js";
