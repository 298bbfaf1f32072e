/** @tsunagi/agent: the reference viewer and client as a library (the CLIs, tests and benchmarks use it). */

export {
  CHANNEL_WINDOW,
  DEFAULT_MAX_CHANNELS,
  MAX_FRAME_PAYLOAD,
  WINDOW_CHANNEL,
  WINDOW_FRAME_BYTES,
} from "@tsunagi/core/frames";
/** The relay's close codes; `RelayCloseCode` is the name this package used before core had them. */
export { CloseCode, CloseCode as RelayCloseCode, ROUTE_PARAM, routingKey } from "@tsunagi/core/wire";
export { type Client, type ClientOptions, startClient } from "./client.js";
export {
  AGENT_VERSION,
  AuthenticationError,
  type CommonOptions,
  ConnectionError,
  connectAndAuthenticate,
  connectUrl,
  InsecureTransportError,
  isLoopbackHost,
  type Program,
  RelayError,
  routedUrl,
  serverHostOf,
} from "./connection.js";
export {
  configDir,
  IDENTITY_FILE_NAME,
  type LoadedIdentity,
  loadOrCreateIdentity,
  signProof,
} from "./identity.js";
export { primaryMac } from "./machine.js";
export { Backoff, DRAIN_JITTER_MS, type ReconnectOptions } from "./reconnect.js";
export type { SessionEnd } from "./session.js";
export {
  DATA_POOL_SIZE,
  type DataPathMode,
  DataRefusedError,
  dataUrl,
  dialData,
  tokenBytes,
} from "./tunnel/data.js";
export {
  OFFLINE_WAIT_MS,
  startViewer,
  type Viewer,
  type ViewerEnd,
  type ViewerOptions,
  type ViewerStop,
} from "./viewer.js";
