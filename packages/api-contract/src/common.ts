/**
 * The contract's building blocks: the text rules every string input follows, user names, times,
 * page sizes and cursors. Times travel as ISO 8601 strings (UTC). User names identify users in paths
 * and bodies: they are unique within a contract, and they are what an account manager types.
 */
import { z } from "@hono/zod-openapi";
import { hasControlCharacters } from "@tsunagi/core/fields";

export const isoTime = z.string().openapi({ format: "date-time", example: "2026-11-15T01:16:55.000Z" });

/** A UTF-16 code unit of a surrogate pair that has no partner: not a character, not encodable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text an account manager or a client sends: at most `max` characters, no NUL (PostgreSQL's text
 * refuses it, which would turn bad input into a 500) and no lone surrogate (not Unicode). Every
 * string in a path, query or body is built from this, so bad input is a 400 naming its field.
 */
export const text = (max: number, min = 0) => textOf(z.string().min(min).max(max));

/** `text`'s rules on a string schema that carries its own limits and messages. */
export const textOf = (schema: z.ZodString) =>
  schema
    .refine((value) => !value.includes("\u0000"), "must not contain NUL (U+0000)")
    .refine((value) => !LONE_SURROGATE.test(value), "must be Unicode text (a lone surrogate is not)");

/**
 * Text that is shown back: on an account manager's terminal (the TUI), in a CSV a spreadsheet opens.
 * `text`'s rules, and no control, line-separator or bidirectional-override character (core's
 * `hasControlCharacters`, the rule for names an agent reports): an escape sequence in a memo would
 * be a command to the next admin's terminal.
 */
export const displayText = (max: number, min = 0) =>
  text(max, min).refine(
    (value) => !hasControlCharacters(value),
    "must not contain control, line-separator or bidirectional-override characters",
  );

/**
 * User names as the relay receives them: the same limit as the wire schema. `text`, not
 * `displayText`: a name refers to a user that exists, whatever the operator who made it typed.
 */
export const UserName = text(128, 1).openapi({ example: "user1" });

/** A page size: at most `max`, `fallback` when absent. */
export const limit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback).openapi({ example: fallback });

/** An opaque keyset cursor: hand back `nextCursor` as it came. */
export const cursor = text(200, 1).optional().openapi({ description: "nextCursor of the previous page" });
