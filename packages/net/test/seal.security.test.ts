// seal() against the wrong key, a peer that is not TLS, a certificate in place of the key, silence and
// bytes changed on the way: each fails the channel with an error, and nothing the far side did not send
// is ever delivered.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { seal } from "../src/seal.js";
import { closeMiddles, sealedEnds, sealedPair, selfSignedCertificate, throughMiddle } from "./helpers.js";

afterEach(closeMiddles);

/** Everything a socket delivered before it failed, and its error. */
function untilError(socket: TLSSocket): Promise<{ delivered: Buffer; error: Error }> {
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  return once(socket, "error").then(([error]) => ({
    delivered: Buffer.concat(chunks),
    error: error as Error,
  }));
}

describe("seal refuses", () => {
  it("a far end keyed otherwise: the handshake fails at both ends", async () => {
    const { viewer, client } = await sealedEnds(randomBytes(32), randomBytes(32));
    await expect(client).rejects.toThrow(/alert|handshake|decrypt|psk|bad/i);
    await expect(viewer).rejects.toThrow();
  });

  it("a far end that is not TLS (a token thief speaking plain bytes)", async () => {
    const middle = await throughMiddle();
    const client = seal(middle.client, randomBytes(32), "client");
    middle.viewer.on("error", () => {});
    middle.viewer.write("GET / HTTP/1.1\r\n\r\n");
    await expect(client).rejects.toThrow(/wrong version|packet length|record|http/i);
  });

  it("a far end that never answers, once its time is up", async () => {
    const middle = await throughMiddle();
    await expect(seal(middle.viewer, randomBytes(32), "viewer", 200)).rejects.toThrow(/timed out/);
  });

  it("bytes changed on the way: the record fails authentication and is not delivered", async () => {
    let carried = 0;
    // Flips a bit well after the handshake, in the application data.
    const flipLate = (chunk: Buffer) => {
      const out = Buffer.from(chunk);
      const at = 64 * 1024 - carried;
      if (at >= 0 && at < out.length) out[at] = (out[at] ?? 0) ^ 0x01;
      carried += chunk.length;
      return out;
    };
    const { viewer, client } = await sealedPair(randomBytes(32), flipLate);
    const atClient = untilError(client);
    const sent = Buffer.alloc(256 * 1024, 0x61);
    viewer.write(sent);
    const { delivered, error } = await atClient;
    expect(error.message).toMatch(/decrypt|bad record mac|alert/i);
    // What came before the changed record arrived intact; nothing after it.
    expect(delivered.length).toBeLessThan(64 * 1024);
    expect(delivered.equals(sent.subarray(0, delivered.length))).toBe(true);
  });

  it("a far end that proves itself with a trusted certificate instead of the key (a man in the middle)", async () => {
    // The attacker answers the viewer's plain data connection itself with an ordinary TLS server whose
    // certificate the viewer's process trusts (as it would one from any public CA).
    const dir = mkdtempSync(join(tmpdir(), "tsunagi-seal-"));
    const { cert, key } = selfSignedCertificate(dir);
    const heard: Buffer[] = [];
    const attacker = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (socket) => {
      socket.on("data", (d: Buffer) => heard.push(d));
      socket.on("error", () => {});
    });
    await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", r));
    try {
      const port = (attacker.address() as { port: number }).port;
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          fileURLToPath(new URL("./fixtures/seal-viewer.ts", import.meta.url)),
          String(port),
          randomBytes(32).toString("base64url"),
        ],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert }, stdio: ["ignore", "pipe", "inherit"] },
      );
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
      });
      await once(child, "exit");
      const result = JSON.parse(out.trim()) as { sealed: boolean; error?: string };
      expect(result.sealed).toBe(false);
      expect(result.error).toMatch(/certificate/);
      expect(Buffer.concat(heard).toString()).not.toContain("secret");
    } finally {
      attacker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a key of the wrong length, before anything is sent", async () => {
    const middle = await throughMiddle();
    expect(() => seal(middle.viewer, randomBytes(16), "viewer")).toThrow(/32 bytes/);
  });
});
