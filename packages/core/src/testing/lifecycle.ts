/** A resource a test file shares (a database, a relay, a server): made before its tests, ended after them. */
import { afterAll, beforeAll } from "vitest";

/**
 * Registers the `beforeAll` that makes the resource and the `afterAll` that ends it, and returns a
 * stand-in that reads the resource once made: the set-up block each test file would otherwise repeat.
 * Read it inside a test or a hook, never at the top of the file.
 */
export function beforeAndAfterAll<T extends object>(
  start: () => Promise<T>,
  stop: (resource: T) => Promise<unknown> | unknown,
): T {
  let current: T | undefined;
  beforeAll(async () => {
    current = await start();
  });
  afterAll(async () => {
    if (current) await stop(current);
  });
  return new Proxy({} as T, {
    get(_, key) {
      if (!current) throw new Error("made in beforeAll: read it inside a test or a hook");
      // As read from the resource itself: a function keeps its own properties (postgres.js's `sql`
      // is a function with methods), so it is not bound; a method is called on the stand-in.
      return Reflect.get(current, key);
    },
  });
}
