import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { loggableError } from "../src/errors.js";
import { useTestDatabase } from "../src/testing/index.js";

const t = useTestDatabase();

describe("loggableError", () => {
  it("keeps the server's message and SQLSTATE of a failed statement, never its text or parameters", async () => {
    const secret = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$secret-hash-value";
    const error = await t.db.execute(sql`select ${secret}::integer as n`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    // What a plain log line of the error would carry.
    expect(`${String(error)} ${JSON.stringify(error)}`).toContain("secret-hash-value");
    const logged = JSON.stringify(loggableError(error));
    expect(logged).not.toContain("secret-hash-value");
    expect(logged).not.toContain("select");
    expect(loggableError(error)).toMatchObject({ code: "22P02" });
    // A data exception's message quotes the value: left out.
    expect(loggableError(error).message).toBe("the database refused a statement (data exception)");
  });

  it("keeps the message of other refusals (they name the constraint, not the values)", async () => {
    const error = await t.db.execute(sql`select 1 from no_such_table where x = ${"value-x"}`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(loggableError(error)).toMatchObject({ code: "42P01" });
    expect(loggableError(error).message).toContain("no_such_table");
    expect(JSON.stringify(loggableError(error))).not.toContain("value-x");
  });

  it("passes other errors through by name and message", () => {
    expect(loggableError(new TypeError("boom"))).toEqual({ name: "TypeError", message: "boom" });
    expect(loggableError("a string")).toEqual({ name: "Error", message: "a non-error value was thrown" });
  });
});
