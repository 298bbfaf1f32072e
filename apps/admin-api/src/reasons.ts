/** The reason catalogue in the API's shape: one language, with the fix an admin can apply. */
import { type Lang, type ReasonKey, reasonEntry } from "@tsunagi/core";
import type { Reason } from "./schemas.js";

export function reasonFor(key: ReasonKey, lang: Lang): Reason {
  const entry = reasonEntry(key);
  return {
    key,
    code: entry.code,
    message: entry.message[lang],
    explanation: entry.explanation[lang],
    response: [...entry.response[lang]],
    fix: entry.fix,
  };
}
