/** @tsunagi/relay: the relay as a library (tests, benchmarks, the platform launcher). */
export { defaultConfig, type RelayConfig } from "./config.js";
export { jsonLog, type Log, silentLog } from "./log.js";
export { CloseCode, CONNECT_PATH, createRelay, type Relay, type RelayDeps } from "./relay.js";
export { sourceAddress } from "./source-address.js";
