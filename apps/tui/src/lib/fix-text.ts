/** How a fix reads on screen: "Initialise the terminal-auth slot (PC) of user1". */
import type { Messages } from "../i18n/index.js";
import { type FixTarget, slotForProduct } from "./user-draft.js";

export function fixText(m: Messages, target: FixTarget): string {
  const what = m[`fix_${target.fix}`];
  switch (target.fix) {
    case "initialise-slot":
      return `${what} (${slotForProduct(target.product) === "mobile" ? m.slotMobile : m.slotPc}) · ${target.userName}`;
    case "allow-ip":
      return `${what} (${target.sourceAddress ?? "?"}) · ${target.userName}`;
    case "allow-mac":
      return `${what} (${target.mac ?? "?"}) · ${target.userName}`;
    default:
      return `${what} · ${target.userName}`;
  }
}
