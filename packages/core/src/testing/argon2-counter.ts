/**
 * For tests that prove two paths cost the same by counting argon2 verifications (timing flakes on a
 * loaded machine). Use inside a hoisted mock, since the factory can't see the file's imports:
 *   const verifies = vi.hoisted(() => ({ count: 0 }));
 *   vi.mock("argon2", async (original) =>
 *     (await import("@tsunagi/core/testing")).countingArgon2(original, verifies));
 */
type Argon2Module = {
  default: Record<string, unknown> & { verify: (...args: unknown[]) => Promise<boolean> };
};

/** The real argon2 module, its `verify` counted in `counter`. */
export async function countingArgon2(importOriginal: () => Promise<unknown>, counter: { count: number }) {
  const original = (await importOriginal()) as Argon2Module;
  const verify = (...args: unknown[]) => {
    counter.count++;
    return original.default.verify(...args);
  };
  return { ...original, default: { ...original.default, verify } };
}
