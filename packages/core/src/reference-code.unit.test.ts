import { describe, expect, it } from "vitest";
import { type Product, products } from "./domain.js";
import { personFacingFailure, referenceCodeFor } from "./reference-code.js";

describe("reference codes", () => {
  it("are 283 for a client, 291 for USB / fingerprint viewers, 293 for terminal-auth / mobile viewers", () => {
    expect(referenceCodeFor({ role: "client" })).toBe(283);
    const byProduct = Object.fromEntries(
      products.map((p) => [p, referenceCodeFor({ role: "viewer", product: p })]),
    );
    const expected = (p: Product) => (p.startsWith("usb-") || p.startsWith("fingerprint-") ? 291 : 293);
    for (const p of products) expect(byProduct[p]).toBe(expected(p));
  });

  it("tell the person one fixed sentence per language", () => {
    expect(personFacingFailure({ role: "viewer", product: "terminal-ndl-s" })).toEqual({
      referenceCode: 293,
      message: "Authentication error (reference code 293)",
    });
    expect(personFacingFailure({ role: "client" }, "ja")).toEqual({
      referenceCode: 283,
      message: "認証エラー（お問い合わせコード：283）",
    });
  });
});
