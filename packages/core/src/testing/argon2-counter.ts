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

/**
 * The real argon2 module, its `verify` counted in `counter`. `beforeVerify`, when set, runs (and is
 * awaited) before each verification: a test can change the account while a verification is in flight.
 */
export async function countingArgon2(
  importOriginal: () => Promise<unknown>,
  counter: { count: number; beforeVerify?: (() => Promise<void> | void) | undefined },
) {
  const original = (await importOriginal()) as Argon2Module;
  const verify = async (...args: unknown[]) => {
    counter.count++;
    await counter.beforeVerify?.();
    return original.default.verify(...args);
  };
  return { ...original, default: { ...original.default, verify } };
}
