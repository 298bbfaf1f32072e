/** The relay's source address: core's `sourceAddress`, shared with the admin API (trusted proxies). */
export { canonicalAddress, sourceAddress } from "@tsunagi/core/address";
