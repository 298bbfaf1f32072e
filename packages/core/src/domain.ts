/**
 * The domain's closed vocabularies (docs/domain.md "Who is who" and "Products, families and editions"): one word for
 * one thing, shared by the database schema, the relay, the admin API and the TUI.
 */
import { z } from "zod";

/** A contract runs one model or the other; the reason codes differ between them. */
export const models = ["legacy", "neo"] as const;
export const Model = z.enum(models);
export type Model = z.infer<typeof Model>;

/** The two ends the relay pairs: the viewer on the remote device, the client on the target PC. */
export const roles = ["viewer", "client"] as const;
export const Role = z.enum(roles);
export type Role = z.infer<typeof Role>;

/** Product lines; the legacy reason codes name them (NDL, XDL, EX and their ".S" terminal-auth kin). */
export const lines = ["NDL", "XDL", "EX"] as const;
export const Line = z.enum(lines);
export type Line = z.infer<typeof Line>;

/**
 * How a viewer proves itself. usb and fingerprint carry a bound key; terminal and mobile register a
 * device identity into a slot on first login.
 */
export const families = ["usb", "fingerprint", "terminal", "mobile"] as const;
export const Family = z.enum(families);
export type Family = z.infer<typeof Family>;

/** Every product a viewer can be (docs/domain.md's product table), as sent in the relay's hello. */
export const products = [
  "usb-ndl",
  "usb-xdl",
  "usb-ex",
  "fingerprint-ndl",
  "fingerprint-xdl",
  "fingerprint-ex",
  "terminal-ndl-s",
  "terminal-xdl-s",
  "terminal-ex-s",
  "mobile-windows",
  "mobile-mac",
  "mobile-ios",
  "mobile-android",
] as const;
export const Product = z.enum(products);
export type Product = z.infer<typeof Product>;

/**
 * The product type a user's permissions name: a USB / fingerprint line, a terminal-auth line, or
 * mobile alone. Mobile concurrent use (a separate flag) adds a mobile viewer beside the first two kinds.
 */
export const productTypes = [
  "usb-ndl",
  "usb-xdl",
  "usb-ex",
  "fingerprint-ndl",
  "fingerprint-xdl",
  "fingerprint-ex",
  "terminal-ndl-s",
  "terminal-xdl-s",
  "terminal-ex-s",
  "mobile",
] as const;
export const ProductType = z.enum(productTypes);
export type ProductType = z.infer<typeof ProductType>;

/** Plus is the security-posture (quarantine check) viewer, mc_viewer_plus; standard is the plain one. */
export const editions = ["plus", "standard"] as const;
export const Edition = z.enum(editions);
export type Edition = z.infer<typeof Edition>;

/** A terminal-auth account has a PC slot; with mobile concurrent use, a mobile slot too. */
export const slotKinds = ["pc", "mobile"] as const;
export const SlotKind = z.enum(slotKinds);
export type SlotKind = z.infer<typeof SlotKind>;

/** Users are ordinary licences; a device-dedicated account may only connect as a viewer. */
export const userTypes = ["standard", "device-dedicated"] as const;
export const UserType = z.enum(userTypes);
export type UserType = z.infer<typeof UserType>;

export function familyOf(product: Product): Family {
  switch (product) {
    case "usb-ndl":
    case "usb-xdl":
    case "usb-ex":
      return "usb";
    case "fingerprint-ndl":
    case "fingerprint-xdl":
    case "fingerprint-ex":
      return "fingerprint";
    case "terminal-ndl-s":
    case "terminal-xdl-s":
    case "terminal-ex-s":
      return "terminal";
    case "mobile-windows":
    case "mobile-mac":
    case "mobile-ios":
    case "mobile-android":
      return "mobile";
  }
}

/** The slot a product registers its device identity into, or null for USB and fingerprint viewers. */
export function slotOf(product: Product): SlotKind | null {
  switch (familyOf(product)) {
    case "usb":
    case "fingerprint":
      return null;
    case "terminal":
      return "pc";
    case "mobile":
      return "mobile";
  }
}
