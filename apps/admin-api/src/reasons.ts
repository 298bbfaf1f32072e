/** The reason catalogue in the API's shape: one language, with the fix an admin can apply. */
import { type Lang, localisedReason, type ReasonKey } from "@tsunagi/core";
import type { Reason } from "./schemas.js";

export function reasonFor(key: ReasonKey, lang: Lang): Reason {
  return localisedReason(key, lang);
}
