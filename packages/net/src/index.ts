/** Socket plumbing the relay and the agents share (docs/architecture.md, "The house"). */

export { SEAL_KEY_BYTES, type SealRole, seal } from "./seal.js";
export { bulkDirections, type SpliceOptions, splice, userBufferReads } from "./splice.js";
export { dialUpgrade, isSecureUrl, plainUrl, type UpgradeOptions, UpgradeRefusedError } from "./upgrade.js";
