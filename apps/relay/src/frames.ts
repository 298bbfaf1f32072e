/**
 * The tunnel's binary frames as the relay needs them (see docs/protocol.md "Framing"): core's
 * 4-byte big-endian channel id followed by the payload; an empty payload is the sender's end of data
 * (half-close); the reserved channel id WINDOW_CHANNEL carries a window update, whose payload is the
 * channel id and the bytes of credit granted, each 4 bytes big-endian. The values live in core
 * (packages/core/src/tunnel.ts), shared with the agents; a relay test checks that both agree.
 */
export { CHANNEL_WINDOW, WINDOW_CHANNEL, WINDOW_FRAME_BYTES } from "@tsunagi/core";
