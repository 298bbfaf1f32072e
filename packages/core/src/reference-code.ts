/**
 * What the person at a viewer or client is told when authentication fails: a reference code and one
 * fixed sentence (docs/domain.md "What the person is told: reference codes").
 *
 * (ours) The code depends only on what the program already knows about itself — its role and, for a
 * viewer, its product family — and never on the reason, so a wrong user name, a wrong password and a
 * device mismatch are indistinguishable to whoever holds the device. Nothing in this module takes a
 * reason as input; that is the point.
 */
import { familyOf, type Product } from "./domain.js";
import type { Lang } from "./reasons.js";

/** The program that failed: a client, or a viewer of some product. */
export type Program = { readonly role: "client" } | { readonly role: "viewer"; readonly product: Product };

export type AuthReferenceCode = 283 | 291 | 293;

/** Reference codes for program-side faults the sources name (shown by the programs, not the relay). */
export const programFaultCodes = {
  /** The relay's TLS certificate can't be trusted (unknown CA, expired, name mismatch, inspecting proxy). */
  untrustedCertificate: [431, 433],
  /** HTTP proxy authentication failed. */
  proxyAuthentication: [1461, 1463],
} as const;

/** 283 for a client; 291 for a USB or fingerprint viewer; 293 for a terminal-auth or mobile viewer. */
export function referenceCodeFor(program: Program): AuthReferenceCode {
  switch (program.role) {
    case "client":
      return 283;
    case "viewer":
      switch (familyOf(program.product)) {
        case "usb":
        case "fingerprint":
          return 291;
        case "terminal":
        case "mobile":
          return 293;
      }
  }
}

export interface PersonFacingFailure {
  readonly referenceCode: AuthReferenceCode;
  readonly message: string;
}

/** Exactly what the person is told on any authentication failure of this program. */
export function personFacingFailure(program: Program, lang: Lang = "en"): PersonFacingFailure {
  const referenceCode = referenceCodeFor(program);
  switch (lang) {
    case "en":
      return { referenceCode, message: `Authentication error (reference code ${referenceCode})` };
    case "ja":
      return { referenceCode, message: `認証エラー（お問い合わせコード：${referenceCode}）` };
  }
}

/** The program an attempt comes from: all the person-facing side may depend on. */
export function programOf(
  attempt: { readonly role: "client" } | { readonly role: "viewer"; readonly product: Product },
): Program {
  return attempt.role === "client" ? { role: "client" } : { role: "viewer", product: attempt.product };
}
