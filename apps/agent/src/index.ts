/** @tsunagi/agent: the reference viewer and client as a library (the CLIs, tests and benchmarks use it). */

export {
  CHANNEL_WINDOW,
  DEFAULT_MAX_CHANNELS,
  MAX_FRAME_PAYLOAD,
  WINDOW_CHANNEL,
  WINDOW_FRAME_BYTES,
} from "@tsunagi/core/frames";
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
export { RelayCloseCode, type SessionEnd } from "./session.js";
export { startViewer, type Viewer, type ViewerOptions } from "./viewer.js";
