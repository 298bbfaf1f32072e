/** The tunnel's binary frames: the layout, window updates, renumbering, and the channel ids given out. */
import { describe, expect, it } from "vitest";
import {
  decodeFrame,
  decodeWindowUpdate,
  encodeFrame,
  endOfDataFrame,
  freeChannelId,
  renumberFrame,
  WINDOW_CHANNEL,
  WINDOW_FRAME_BYTES,
  windowFrame,
  windowOverrun,
} from "./frames.js";

describe("frames", () => {
  it("frames binary data with a 4-byte big-endian channel id", () => {
    const frame = encodeFrame(0x01020304, new Uint8Array([9, 8]));
    expect([...frame]).toEqual([1, 2, 3, 4, 9, 8]);
    expect(decodeFrame(frame)).toEqual({ channelId: 0x01020304, payload: new Uint8Array([9, 8]) });
    expect(decodeFrame(new Uint8Array([1, 2]))).toBeNull();
  });

  it("ends a channel's data with an empty payload", () => {
    const frame = endOfDataFrame(7);
    expect([...frame]).toEqual([0, 0, 0, 7]);
    expect(decodeFrame(frame)?.payload.length).toBe(0);
  });

  it("carries a window update on the reserved channel, 12 bytes in all", () => {
    const frame = windowFrame(0xfffffffe, 0x80000001);
    expect(frame.length).toBe(WINDOW_FRAME_BYTES);
    const decoded = decodeFrame(frame);
    expect(decoded?.channelId).toBe(WINDOW_CHANNEL);
    expect(decodeWindowUpdate(decoded?.payload ?? new Uint8Array())).toEqual({
      channelId: 0xfffffffe,
      bytes: 0x80000001,
    });
    expect(decodeWindowUpdate(new Uint8Array(7))).toBeNull();
    expect(decodeWindowUpdate(new Uint8Array(9))).toBeNull();
  });

  it("renumbers a data frame's channel, and a window update's in its payload", () => {
    const data = Buffer.from(encodeFrame(5, new Uint8Array([1])));
    renumberFrame(data, 9);
    expect([...data]).toEqual([0, 0, 0, 9, 1]);
    const update = windowFrame(5, 100);
    renumberFrame(update, 9);
    expect(decodeFrame(update)?.channelId).toBe(WINDOW_CHANNEL);
    expect(decodeWindowUpdate(decodeFrame(update)?.payload ?? new Uint8Array())).toEqual({
      channelId: 9,
      bytes: 100,
    });
  });

  it("names a channel that overran its window, and none within it", () => {
    expect(windowOverrun(3, 10, 10)).toBeUndefined();
    expect(windowOverrun(3, 11, 10)).toBe("channel 3 overran its window: 11 bytes in flight, 10 granted");
  });
});

describe("channel ids", () => {
  it("counts up from the next id", () => {
    expect(freeChannelId(new Map(), 1)).toBe(1);
    expect(freeChannelId(new Map([[1, 0]]), 2)).toBe(2);
  });

  it("wraps before the reserved window channel, and skips ids still open after the wrap", () => {
    const open = new Map([
      [1, 0],
      [2, 0],
      [WINDOW_CHANNEL - 1, 0],
    ]);
    expect(freeChannelId(open, WINDOW_CHANNEL - 1)).toBe(3);
    expect(freeChannelId(open, WINDOW_CHANNEL)).toBe(3);
    expect(freeChannelId(new Map(), WINDOW_CHANNEL - 1)).toBe(WINDOW_CHANNEL - 1);
  });
});
