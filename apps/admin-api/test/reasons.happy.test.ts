/** The reason catalogue, served without a session in either language and by model. */
import { describe, expect, it } from "vitest";
import { call, errorOf, expectStatus, useHarness } from "./helpers.js";

const h = useHarness();

describe("reasons", () => {
  it("serves the catalogue in either language, by model", async () => {
    const neo = await call(h.app, "GET", "/reasons?model=neo&lang=ja");
    expectStatus(neo, 200);
    const keys = neo.json.reasons.map((r) => r.key);
    expect(keys).toContain("application-not-permitted");
    expect(keys).not.toContain("client-not-allowed");
    const bad = await call(h.app, "GET", "/reasons?lang=fr");
    expect(errorOf(bad).field).toBe("lang");
  });
});
