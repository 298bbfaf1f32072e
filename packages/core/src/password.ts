/**
 * Password hashing for users and admin accounts: argon2id through node-argon2 (a maintained native
 * binding) with the OWASP Password Storage Cheat Sheet's first recommended parameter set.
 *
 * An unknown user must cost the same time as a wrong password, or response time tells an attacker
 * which user names exist; `verifyAgainstDummy` spends one verification against a hash made once, at
 * the same parameters, for that purpose.
 */
import { randomBytes } from "node:crypto";
import argon2 from "argon2";

/** OWASP: argon2id, m = 19 MiB (19456 KiB), t = 2, p = 1. The relay's benchmark compares against these. */
export const passwordHashParameters = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/** A PHC-format argon2id hash of `plain` with a fresh salt. */
export function hashSecret(plain: string): Promise<string> {
  return argon2.hash(plain, passwordHashParameters);
}

/**
 * Whether `plain` matches `hash`. The parameters are read from the hash itself, so hashes made with
 * older parameters still verify; `needsRehash` tells the caller to upgrade them after a success.
 */
export function verifySecret(hash: string, plain: string): Promise<boolean> {
  return argon2.verify(hash, plain);
}

/** Whether a stored hash was made with other parameters than today's. */
export function needsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, passwordHashParameters);
}

let dummyHash: Promise<string> | undefined;

/** The dummy hash, made on first use (a random secret nobody knows) and kept for the process. */
export function dummyHashOnce(): Promise<string> {
  dummyHash ??= hashSecret(randomBytes(32).toString("base64"));
  return dummyHash;
}

/** Spend one verification, as for a real user, and answer false: for unknown user names. */
export async function verifyAgainstDummy(plain: string): Promise<false> {
  await verifySecret(await dummyHashOnce(), plain);
  return false;
}
