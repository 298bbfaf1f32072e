/** The ids the relay gives out on a client's connection: never the window channel, never one still open. */
import { describe, expect, it } from "vitest";
import { WINDOW_CHANNEL } from "../src/frames.js";
import { freeChannelId } from "../src/peers.js";

describe("client channel ids", () => {
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
