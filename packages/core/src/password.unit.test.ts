import { describe, expect, it } from "vitest";
import {
  hashSecret,
  needsRehash,
  passwordHashParameters,
  verifyAgainstDummy,
  verifySecret,
} from "./password.js";

// Few and fast: each argon2 call at these parameters costs tens of milliseconds.
describe("password hashing", () => {
  it("hashes with argon2id at the OWASP parameters and verifies", async () => {
    const hash = await hashSecret("correct horse");
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    expect(passwordHashParameters).toMatchObject({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(await verifySecret(hash, "correct horse")).toBe(true);
    expect(await verifySecret(hash, "wrong horse")).toBe(false);
    expect(needsRehash(hash)).toBe(false);
  });

  it("verifies unknown users against the dummy hash and always answers false", async () => {
    expect(await verifyAgainstDummy("anything")).toBe(false);
    expect(await verifyAgainstDummy("")).toBe(false);
  });
});
