/** The relay's bounded hash queue: core's `Semaphore`, shared with the admin API's logins. */
export { Semaphore } from "@tsunagi/core/semaphore";
