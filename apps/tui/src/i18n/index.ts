/** The TUI's strings by language, and the labels built from domain values (roles, user types, products). */
import type { Lang, ProductType, Role, UserType } from "@tsunagi/core";
import { en, type Messages } from "./en.js";
import { ja } from "./ja.js";

export type { Messages } from "./en.js";

export const messages: Record<Lang, Messages> = { en, ja };

export function roleLabel(m: Messages, role: Role): string {
  switch (role) {
    case "viewer":
      return m.roleViewer;
    case "client":
      return m.roleClient;
  }
}

export function userTypeLabel(m: Messages, type: UserType): string {
  switch (type) {
    case "standard":
      return m.userType_standard;
    case "device-dedicated":
      return m["userType_device-dedicated"];
  }
}

/** Product names as the service prints them (not translated: they are product names), English then Japanese. */
const productNames: Record<ProductType | "none", readonly [en: string, ja: string]> = {
  none: ["none", "なし"],
  "usb-ndl": ["USB type NDL", "USB型(NDL)"],
  "usb-xdl": ["USB type XDL", "USB型(XDL)"],
  "usb-ex": ["USB type EX", "USB型(EX)"],
  "fingerprint-ndl": ["Fingerprint type NDL", "指紋認証型(NDL)"],
  "fingerprint-xdl": ["Fingerprint type XDL", "指紋認証型(XDL)"],
  "fingerprint-ex": ["Fingerprint type EX", "指紋認証型(EX)"],
  "terminal-ndl-s": ["Terminal-auth type NDL.S", "端末認証型(NDL.S)"],
  "terminal-xdl-s": ["Terminal-auth type XDL.S", "端末認証型(XDL.S)"],
  "terminal-ex-s": ["Terminal-auth type EX.S", "端末認証型(EX.S)"],
  mobile: ["Mobile", "モバイル"],
};

export function productLabel(lang: Lang, product: ProductType | null): string {
  return productNames[product ?? "none"][lang === "ja" ? 1 : 0];
}
