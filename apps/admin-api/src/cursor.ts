/**
 * Opaque keyset cursors: base64url JSON, so callers hand them back untouched and the server can
 * change what is inside. A cursor that doesn't decode is a 400 on `cursor`, never a 500.
 */
import { z } from "zod";
import { badRequest } from "./errors.js";

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function decodeCursor<T>(text: string | undefined, shape: z.ZodType<T>): T | null {
  if (text === undefined) return null;
  try {
    const parsed = shape.safeParse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through to the 400
  }
  throw badRequest("cursor", "cursor: not a cursor this API handed out");
}

export const HistoryCursorShape = z.object({ t: z.iso.datetime(), i: z.number().int() });
export const NameCursorShape = z.object({ n: z.string() });
export const IdCursorShape = z.object({ i: z.number().int() });
