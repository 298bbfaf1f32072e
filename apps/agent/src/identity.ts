/**
 * The device identity a viewer presents for terminal authentication: machine id, OS user, and an
 * Ed25519 install key made on first run and kept in a file in the user's config directory. Deleting
 * the file is reinstalling: a new install key, so a registered slot no longer matches (190500).
 *
 * Machine id and OS user are read from the system at every start (the file keeps them only for
 * reference), so the same file used by another OS user or copied to another machine presents what it
 * really is (180200 / 170400).
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir, hostname, platform, userInfo } from "node:os";
import { dirname, join } from "node:path";
import type { DeviceIdentity } from "@tsunagi/core/rules";
import { z } from "zod";
import type { AgentEnv } from "./env.js";

export interface LoadedIdentity {
  readonly identity: DeviceIdentity;
  readonly privateKey: KeyObject;
  readonly file: string;
  /** True when this run made the file (first run, or after it was deleted). */
  readonly created: boolean;
}

const IdentityFile = z.object({
  version: z.literal(1),
  machineId: z.string(),
  osUser: z.string(),
  installPublicKey: z.string(),
  installPrivateKey: z.string(),
  createdAt: z.string(),
});

/** The user's config directory for Tsunagi (TSUNAGI_CONFIG_DIR, else the platform's convention). */
export function configDir(env: AgentEnv): string {
  if (env.TSUNAGI_CONFIG_DIR) return env.TSUNAGI_CONFIG_DIR;
  if (platform() === "win32" && env.APPDATA) return join(env.APPDATA, "Tsunagi");
  if (platform() === "darwin") return join(homedir(), "Library", "Application Support", "Tsunagi");
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "tsunagi");
}

export const IDENTITY_FILE_NAME = "device-identity.json";

/** This machine's id: the OS's own where it has one, else a hash of the host name. */
export function systemMachineId(): string {
  for (const file of ["/etc/machine-id", "/var/lib/dbus/machine-id"]) {
    try {
      const id = readFileSync(file, "utf8").trim();
      if (id) return id;
    } catch {
      // not this system's convention
    }
  }
  return `host-${createHash("sha256").update(hostname()).digest("hex").slice(0, 32)}`;
}

export function systemOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

export interface IdentityOptions {
  /** Overrides for what the system reports (tests simulating other machines or OS users). */
  readonly machineId?: string;
  readonly osUser?: string;
}

/** Reads the identity file, making it (with a new install key) when it is missing. */
export async function loadOrCreateIdentity(
  file: string,
  options: IdentityOptions = {},
): Promise<LoadedIdentity> {
  const machineId = options.machineId ?? systemMachineId();
  const osUser = options.osUser ?? systemOsUser();
  if (existsSync(file)) {
    const stored = IdentityFile.parse(JSON.parse(await readFile(file, "utf8")));
    const privateKey = createPrivateKey({
      key: Buffer.from(stored.installPrivateKey, "base64"),
      format: "der",
      type: "pkcs8",
    });
    return {
      identity: { machineId, osUser, installPublicKey: stored.installPublicKey },
      privateKey,
      file,
      created: false,
    };
  }
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const installPublicKey = publicKey.export({ type: "spki", format: "der" }).toString("base64");
  const stored: z.infer<typeof IdentityFile> = {
    version: 1,
    machineId,
    osUser,
    installPublicKey,
    installPrivateKey: privateKey.export({ type: "pkcs8", format: "der" }).toString("base64"),
    createdAt: new Date().toISOString(),
  };
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Written aside and renamed, so a crash never leaves half a key behind.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
  return { identity: { machineId, osUser, installPublicKey }, privateKey, file, created: true };
}

/** The proof for a challenge: the Ed25519 signature of its transcript (core's deviceProofTranscript), base64. */
export function signProof(privateKey: KeyObject, transcript: Uint8Array): string {
  return sign(null, transcript, privateKey).toString("base64");
}

/** Whether a public key text is an Ed25519 SPKI (for tests and diagnostics). */
export function isEd25519PublicKey(text: string): boolean {
  try {
    return (
      createPublicKey({ key: Buffer.from(text, "base64"), format: "der", type: "spki" }).asymmetricKeyType ===
      "ed25519"
    );
  } catch {
    return false;
  }
}
