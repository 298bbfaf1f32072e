/** The relay's token buckets: core's `RateLimiter`, shared with the admin API's login limits. */
export { RateLimiter } from "@tsunagi/core/rate-limit";
