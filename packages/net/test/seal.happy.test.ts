// seal(): two agents' TLS 1.3 keyed by the channel's key, through a middle that splices raw TCP as the
// relay does: bytes carried byte-exact both ways, half-close kept, and the middle sees only ciphertext.
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { SEAL_CIPHERS } from "../src/seal.js";
import { closeMiddles, readAll, sealedPair } from "./helpers.js";

afterEach(closeMiddles);

describe("seal", () => {
  it("carries 8 MiB each way byte-exact over TLS 1.3 with AES-128-GCM, keyed by the shared key", async () => {
    const { viewer, client } = await sealedPair(randomBytes(32));
    expect(viewer.getProtocol()).toBe("TLSv1.3");
    expect(viewer.getCipher().standardName).toBe(SEAL_CIPHERS);
    const up = randomBytes(8 * 1024 * 1024);
    const down = randomBytes(8 * 1024 * 1024);
    const atClient = readAll(client);
    const atViewer = readAll(viewer);
    viewer.end(up);
    client.end(down);
    expect((await atClient).equals(up)).toBe(true);
    expect((await atViewer).equals(down)).toBe(true);
  });

  it("keeps a half-close: the side that ended still receives", async () => {
    const { viewer, client } = await sealedPair(randomBytes(32));
    const atClient = readAll(client);
    viewer.end("request");
    expect((await atClient).toString()).toBe("request");
    const atViewer = readAll(viewer);
    client.write("first ");
    await new Promise((r) => setTimeout(r, 20));
    client.end("answer");
    expect((await atViewer).toString()).toBe("first answer");
  });

  it("lets the relay's splice see only ciphertext", async () => {
    const { viewer, client, middle } = await sealedPair(randomBytes(32));
    const secret = Buffer.from("a password typed into the remote desktop: hunter2-".repeat(100));
    const atClient = readAll(client);
    viewer.end(secret);
    expect((await atClient).equals(secret)).toBe(true);
    const wire = Buffer.concat(middle.seen);
    expect(wire.length).toBeGreaterThan(secret.length);
    expect(wire.includes(Buffer.from("hunter2"))).toBe(false);
  });
});
