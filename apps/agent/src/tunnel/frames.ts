/**
 * Tunnel framing on the agents' side (docs/protocol.md "Framing"): core's 4-byte channel id + payload;
 * an empty payload ends the sender's data (half-close); WINDOW_CHANNEL carries window updates
 * (channel id, bytes granted). The relay holds the same constants (apps/relay/src/frames.ts).
 */
export const WINDOW_CHANNEL = 0xffff_ffff;
export const WINDOW_FRAME_BYTES = 12;
/**
 * Most payload bytes per data frame (the relay accepts up to 256 KiB). An agent frames what its socket
 * read in one turn of the event loop (several 64 KiB reads when data streams in), so a bulk transfer
 * travels in fewer, larger frames and an interactive one without delay. 120 KiB rather than the relay's
 * limit: 256 KiB frames measured slower in the benchmark than 120 KiB ones (likely because a frame's
 * buffers, header included, then pass glibc's 128 KiB mmap threshold); smaller frames also interleave
 * channels more fairly.
 */
export const MAX_FRAME_PAYLOAD = 120 * 1024;
/**
 * Bytes a sender may have in flight per channel before the receiver's local socket has taken them.
 * A channel's throughput is at most window / round trip, and a loaded relay's round trip is
 * milliseconds, not microseconds: 4 MiB keeps one channel from waiting on credit at a few hundred MiB/s.
 */
export const CHANNEL_WINDOW = 4 * 1024 * 1024;

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
