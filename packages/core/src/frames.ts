/**
 * The tunnel's numbers both ends must agree on (docs/protocol.md "Framing", "Backpressure", "Limits"):
 * the reserved window-update channel, the per-channel window every receiver grants and enforces, and
 * the default cap on channels open at once per session.
 */

/** Channel id reserved for window updates: payload = channel id (4 bytes) + bytes granted (4 bytes). */
export const WINDOW_CHANNEL = 0xffff_ffff;
export const WINDOW_FRAME_BYTES = 12;

/**
 * Bytes a sender may have in flight per channel and direction before the receiver grants more. A
 * receiver (the relay per hop, and the receiving agent) disconnects a peer that sends beyond it.
 * A channel's throughput is at most window / round trip, and a loaded relay's round trip is
 * milliseconds, not microseconds: 4 MiB keeps one channel from waiting on credit at a few hundred MiB/s.
 */
export const CHANNEL_WINDOW = 4 * 1024 * 1024;

/**
 * Channels open at once on one viewer's or one client's connection, unless configured otherwise. With
 * the window, it bounds what a hostile peer can make a receiver hold: 64 × 4 MiB = 256 MiB at worst
 * (256 channels would allow 1 GiB). A browser opens about six connections per host, RDP one or two.
 */
export const DEFAULT_MAX_CHANNELS = 64;
