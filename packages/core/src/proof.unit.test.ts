/** The device proof's transcript: every field it binds changes the bytes, and fields cannot be shifted. */
import { describe, expect, it } from "vitest";
import { deviceProofTranscript, type ProofTranscriptInput, TLS_EXPORTER_BYTES } from "./proof.js";

const base: ProofTranscriptInput = {
  binding: "tls-exporter",
  nonce: new Uint8Array(32).fill(1),
  connectionId: new Uint8Array(16).fill(2),
  server: "asp1",
  role: "viewer",
  user: "user1",
  tlsExporter: new Uint8Array(TLS_EXPORTER_BYTES).fill(3),
};
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("device proof transcript", () => {
  it("starts with the domain prefix and the version", () => {
    const bytes = deviceProofTranscript(base);
    expect(Buffer.from(bytes.subarray(0, 21)).toString()).toBe("tsunagi device proof\u0000");
    expect(bytes[21]).toBe(0);
    expect(bytes[22]).toBe(1);
  });

  it("differs when any bound field differs", () => {
    const reference = hex(deviceProofTranscript(base));
    const variants: Partial<ProofTranscriptInput>[] = [
      { nonce: new Uint8Array(32).fill(9) },
      { connectionId: new Uint8Array(16).fill(9) },
      { server: "asp2" },
      { role: "client" },
      { user: "user2" },
      { tlsExporter: new Uint8Array(TLS_EXPORTER_BYTES).fill(9) },
      { binding: "connection-id" },
    ];
    for (const variant of variants) {
      expect(hex(deviceProofTranscript({ ...base, ...variant }))).not.toBe(reference);
    }
  });

  it("length-prefixes its fields, so moving bytes between neighbours changes the transcript", () => {
    const a = deviceProofTranscript({ ...base, server: "asp1u", user: "ser1" });
    expect(hex(a)).not.toBe(hex(deviceProofTranscript(base)));
  });

  it("refuses the tls-exporter binding without an exporter value", () => {
    expect(() => deviceProofTranscript({ ...base, tlsExporter: undefined })).toThrow(/exporter/);
  });
});
