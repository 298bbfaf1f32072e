/** @tsunagi/core/testing: helpers other packages' tests share. */
export { countingArgon2 } from "./argon2-counter.js";
export { beforeAndAfterAll } from "./lifecycle.js";
