/**
 * @tsunagi/core: what the relay decides and what the admin tools explain. Pure: data in, decision out
 * (password hashing is the one exception, kept in its own module).
 */
export * from "./address.js";
export * from "./csv.js";
export * from "./docs.js";
export * from "./domain.js";
export * from "./fields.js";
export * from "./password.js";
export * from "./proof.js";
export * from "./rate-limit.js";
export * from "./reasons.js";
export * from "./reference-code.js";
export * from "./rules.js";
export * from "./semaphore.js";
export * from "./tunnel.js";
export * from "./wire.js";
