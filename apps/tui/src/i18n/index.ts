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

/** Product names as the service prints them (not translated: they are product names). */
export function productLabel(lang: Lang, product: ProductType | null): string {
  const inJapanese = lang === "ja";
  switch (product) {
    case null:
      return inJapanese ? "なし" : "none";
    case "usb-ndl":
      return inJapanese ? "USB型(NDL)" : "USB type NDL";
    case "usb-xdl":
      return inJapanese ? "USB型(XDL)" : "USB type XDL";
    case "usb-ex":
      return inJapanese ? "USB型(EX)" : "USB type EX";
    case "fingerprint-ndl":
      return inJapanese ? "指紋認証型(NDL)" : "Fingerprint type NDL";
    case "fingerprint-xdl":
      return inJapanese ? "指紋認証型(XDL)" : "Fingerprint type XDL";
    case "fingerprint-ex":
      return inJapanese ? "指紋認証型(EX)" : "Fingerprint type EX";
    case "terminal-ndl-s":
      return inJapanese ? "端末認証型(NDL.S)" : "Terminal-auth type NDL.S";
    case "terminal-xdl-s":
      return inJapanese ? "端末認証型(XDL.S)" : "Terminal-auth type XDL.S";
    case "terminal-ex-s":
      return inJapanese ? "端末認証型(EX.S)" : "Terminal-auth type EX.S";
    case "mobile":
      return inJapanese ? "モバイル" : "Mobile";
  }
}
