/** The device identity file: made on first run, reused after, and a new install key once deleted. */
import { createPublicKey, verify } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { configDir, loadOrCreateIdentity, signProof } from "../src/identity.js";

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});
const fresh = async () => {
  const dir = await mkdtemp(join(tmpdir(), "tsunagi-agent-"));
  made.push(dir);
  return join(dir, "sub", "device-identity.json");
};

describe("device identity", () => {
  it("is created on first run (owner-only) and the same key is read back after", async () => {
    const file = await fresh();
    const first = await loadOrCreateIdentity(file);
    expect(first.created).toBe(true);
    expect((await stat(file)).mode & 0o077).toBe(0);
    const again = await loadOrCreateIdentity(file);
    expect(again.created).toBe(false);
    expect(again.identity.installPublicKey).toBe(first.identity.installPublicKey);
    expect(JSON.parse(await readFile(file, "utf8")).installPrivateKey).toBeTypeOf("string");
  });

  it("deleting the file is reinstalling: same machine and OS user, a new install key", async () => {
    const file = await fresh();
    const first = await loadOrCreateIdentity(file);
    await rm(file);
    const second = await loadOrCreateIdentity(file);
    expect(second.identity.machineId).toBe(first.identity.machineId);
    expect(second.identity.osUser).toBe(first.identity.osUser);
    expect(second.identity.installPublicKey).not.toBe(first.identity.installPublicKey);
  });

  it("signs a proof transcript so that the public key verifies it (and only that transcript)", async () => {
    const { identity, privateKey } = await loadOrCreateIdentity(await fresh());
    const nonce = Buffer.alloc(32, 7);
    const signature = Buffer.from(signProof(privateKey, nonce), "base64");
    const key = createPublicKey({
      key: Buffer.from(identity.installPublicKey, "base64"),
      format: "der",
      type: "spki",
    });
    expect(key.asymmetricKeyType).toBe("ed25519");
    expect(verify(null, nonce, key, signature)).toBe(true);
    expect(verify(null, Buffer.alloc(32, 8), key, signature)).toBe(false);
  });

  it("lives in TSUNAGI_CONFIG_DIR when set, else under the user's config directory", () => {
    expect(configDir({ TSUNAGI_CONFIG_DIR: "/x/y" })).toBe("/x/y");
    expect(configDir({ XDG_CONFIG_HOME: "/home/u/.config" })).toMatch(/tsunagi|Tsunagi/);
  });
});
