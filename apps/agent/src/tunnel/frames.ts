/**
 * Tunnel framing on the agents' side (docs/protocol.md "Framing"): core's 4-byte channel id + payload;
 * an empty payload ends the sender's data (half-close); WINDOW_CHANNEL carries window updates
 * (channel id, bytes granted). The shared values (window channel, per-channel window, channel cap)
 * live in core (packages/core/src/tunnel.ts), which the relay reads too.
 */
export { CHANNEL_WINDOW, DEFAULT_MAX_CHANNELS, WINDOW_CHANNEL, WINDOW_FRAME_BYTES } from "@tsunagi/core";

import { WINDOW_CHANNEL, WINDOW_FRAME_BYTES } from "@tsunagi/core";

/**
 * Most payload bytes per data frame (the relay accepts up to 256 KiB). An agent frames what its socket
 * read in one turn of the event loop (several 64 KiB reads when data streams in), so a bulk transfer
 * travels in fewer, larger frames and an interactive one without delay. 120 KiB rather than the relay's
 * limit: 256 KiB frames measured slower in the benchmark than 120 KiB ones (likely because a frame's
 * buffers, header included, then pass glibc's 128 KiB mmap threshold); smaller frames also interleave
 * channels more fairly.
 */
export const MAX_FRAME_PAYLOAD = 120 * 1024;

export function dataFrame(channelId: number, payload: Buffer, start = 0, end = payload.length): Buffer {
  const frame = Buffer.allocUnsafe(4 + end - start);
  frame.writeUInt32BE(channelId, 0);
  payload.copy(frame, 4, start, end);
  return frame;
}

export function windowFrame(channelId: number, bytes: number): Buffer {
  const frame = Buffer.allocUnsafe(WINDOW_FRAME_BYTES);
  frame.writeUInt32BE(WINDOW_CHANNEL, 0);
  frame.writeUInt32BE(channelId, 4);
  frame.writeUInt32BE(bytes, 8);
  return frame;
}
