/** The reason catalogue in the API's shape: one language, with the fix an admin can apply. */

import type { Reason } from "@tsunagi/api-contract/reasons";
import { type Lang, localisedReason, type ReasonKey } from "@tsunagi/core";

export function reasonFor(key: ReasonKey, lang: Lang): Reason {
  return localisedReason(key, lang);
}
