/**
 * The tunnel's binary frames, defined once for the relay and both agents (docs/protocol.md "Framing",
 * "Backpressure", "Limits"): the layout, the reserved window-update channel, the end-of-data frame,
 * the sizes and windows every end must agree on, and the channel ids a connection may hand out.
 *
 * A frame is a 4-byte big-endian channel id followed by the channel's payload. Frames are Buffers:
 * both ends run on Node, and `allocUnsafe` spares zero-filling every 120 KiB frame the tunnel carries.
 */

/** The channel id that opens every binary frame. */
export const CHANNEL_ID_BYTES = 4;

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

/**
 * Most payload bytes per data frame an agent sends (the relay accepts frames up to 256 KiB). An agent
 * frames what its socket read in one turn of the event loop (several 64 KiB reads when data streams
 * in), so a bulk transfer travels in fewer, larger frames and an interactive one without delay. 120 KiB
 * rather than the relay's limit: 256 KiB frames measured slower in the benchmark than 120 KiB ones
 * (likely because a frame's buffers, header included, then pass glibc's 128 KiB mmap threshold);
 * smaller frames also interleave channels more fairly.
 */
export const MAX_FRAME_PAYLOAD = 120 * 1024;

/** A frame for `channelId` with room for `payloadBytes` after the header; the caller fills the payload. */
export function allocFrame(channelId: number, payloadBytes: number): Buffer {
  const frame = Buffer.allocUnsafe(CHANNEL_ID_BYTES + payloadBytes);
  frame.writeUInt32BE(channelId, 0);
  return frame;
}

/**
 * A binary tunnel frame as plain bytes: 4-byte big-endian channel id, then the payload. (The agents
 * build their data frames in place with `allocFrame`, copying what their sockets read only once.)
 */
export function encodeFrame(channelId: number, payload: Uint8Array): Uint8Array {
  const frame = allocFrame(channelId, payload.length);
  frame.set(payload, CHANNEL_ID_BYTES);
  return new Uint8Array(frame.buffer, frame.byteOffset, frame.length);
}

/**
 * The sender's end of data on a channel (TCP half-close, FIN): a frame with an empty payload. The
 * receiver ends its socket's writing side once its queued writes are out.
 */
export function endOfDataFrame(channelId: number): Buffer {
  return allocFrame(channelId, 0);
}

/** A window update: `bytes` more of credit on `channelId`, sent on the reserved WINDOW_CHANNEL. */
export function windowFrame(channelId: number, bytes: number): Buffer {
  const frame = allocFrame(WINDOW_CHANNEL, WINDOW_FRAME_BYTES - CHANNEL_ID_BYTES);
  frame.writeUInt32BE(channelId, 4);
  frame.writeUInt32BE(bytes, 8);
  return frame;
}

/**
 * The channel id and payload of a binary frame (the payload a view of the frame, not a copy), or null
 * for a frame shorter than its header.
 */
export function decodeFrame<F extends Uint8Array>(frame: F): { channelId: number; payload: F } | null {
  if (frame.length < CHANNEL_ID_BYTES) return null;
  return { channelId: readUInt32BE(frame, 0), payload: frame.subarray(CHANNEL_ID_BYTES) as F };
}

/** The channel and the credit a window update's payload grants, or null when it is not 8 bytes. */
export function decodeWindowUpdate(payload: Uint8Array): { channelId: number; bytes: number } | null {
  if (payload.length !== WINDOW_FRAME_BYTES - CHANNEL_ID_BYTES) return null;
  return { channelId: readUInt32BE(payload, 0), bytes: readUInt32BE(payload, 4) };
}

/**
 * Rewrites, in place, the channel a frame is for: the relay renumbers every frame on its way through,
 * because each connection numbers its own channels. A window update names its channel in the payload.
 */
export function renumberFrame(frame: Buffer, channelId: number): void {
  frame.writeUInt32BE(channelId, frame.readUInt32BE(0) === WINDOW_CHANNEL ? CHANNEL_ID_BYTES : 0);
}

/**
 * The next channel id to give out on a connection, from `next` on: never the reserved window channel,
 * never an id still open there (after 2^32 - 1 channels the count wraps to 1). Callers cap channels
 * per connection, so a free id is at most that many steps away.
 */
export function freeChannelId(open: { has(id: number): boolean }, next: number): number {
  let id = next >= WINDOW_CHANNEL || next < 1 ? 1 : next;
  while (open.has(id)) id = id + 1 >= WINDOW_CHANNEL ? 1 : id + 1;
  return id;
}

/**
 * Why a receiver drops a sender with `inFlight` bytes unacknowledged on `channelId`, or undefined while
 * it is within the `window` granted: a sender past it ignores flow control, and what it sends beyond
 * would only queue in memory (docs/protocol.md "Limits").
 */
export function windowOverrun(channelId: number, inFlight: number, window: number): string | undefined {
  return inFlight > window
    ? `channel ${channelId} overran its window: ${inFlight} bytes in flight, ${window} granted`
    : undefined;
}

function readUInt32BE(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) * 0x100_0000 +
      (((bytes[at + 1] as number) << 16) | ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number))) >>>
    0
  );
}
