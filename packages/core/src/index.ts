/**
 * @tsunagi/core: what the relay decides and what the admin tools explain. Pure: data in, decision out.
 * Each module is also its own subpath (`@tsunagi/core/rules`, `/wire`, …); password hashing
 * (`/password`, argon2) and the docs generator (`/docs`, dev only) are not part of this entry.
 */
export * from "./address.js";
export * from "./csv.js";
export * from "./domain.js";
export * from "./fields.js";
export * from "./frames.js";
export * from "./proof.js";
export * from "./rate-limit.js";
export * from "./reasons.js";
export * from "./reference-code.js";
export * from "./rules.js";
export * from "./semaphore.js";
export * from "./wire.js";
