/**
 * Guards between the wire and the schemas: the body size limit, percent-encoding that does not decode
 * to UTF-8 (path and query), bodies that are not UTF-8 text or carry NUL or lone surrogates, and JSON
 * nested deeper than MAX_JSON_DEPTH. Each answers a 400 naming the field (413 for size) so bad input
 * never reaches the database as an error; the schemas' `text` refuses the same in every decoded string
 * (see @tsunagi/api-contract/common).
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { routePath } from "hono/route";
import type { AppEnv } from "./context.js";
import { ApiError, badRequest, fieldPath } from "./errors.js";

/** Routes that take many rows in one body (CSV import, batch patch, link sets) get the bulk limit. */
export function isBulk(method: string, path: string): boolean {
  return (
    (method === "PATCH" && path === "/users") ||
    (method === "POST" &&
      (path === "/groups/csv" || path === "/groups/links" || path === "/groups/links/remove"))
  );
}

/** 413 in the one error shape once a body outgrows its route's limit, read or declared. */
export function bodySizeLimit(maxBodyBytes: number, maxBulkBodyBytes: number): MiddlewareHandler<AppEnv> {
  const limitOf = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, "payload-too-large", `body: larger than ${maxSize} bytes`, "body");
      },
    });
  const ordinary = limitOf(maxBodyBytes);
  const bulk = limitOf(maxBulkBodyBytes);
  return (c, next) => (isBulk(c.req.method, c.req.path) ? bulk(c, next) : ordinary(c, next));
}

/** `decodeURIComponent` that answers undefined instead of throwing on bytes that are not UTF-8. */
function decoded(component: string): string | undefined {
  try {
    return decodeURIComponent(component);
  } catch {
    return undefined;
  }
}

const undecodable = (field: string) =>
  badRequest(field, `${field}: percent-encoding that does not decode to UTF-8 text`);

/**
 * Hono decodes what it can and keeps the rest as typed (`%FF` stays `%FF`), which would look up a user
 * named "%FF". Decoded strictly here instead: a path parameter (named by the matched route) or a query
 * value that is not UTF-8 is a 400 naming it.
 */
export function percentEncodingGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = c.req.url;
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const queryStart = url.indexOf("?", pathStart);
    const rawPath = url.slice(pathStart, queryStart === -1 ? undefined : queryStart);
    if (rawPath.includes("%")) {
      // The last matched route is the handler's, e.g. /users/:userName/slots/:slot/initialise.
      const pattern = routePath(c, -1).split("/");
      const segments = rawPath.split("/");
      if (pattern.length === segments.length) {
        segments.forEach((segment, i) => {
          const part = pattern[i] ?? "";
          if (part.startsWith(":") && decoded(segment) === undefined) throw undecodable(part.slice(1));
        });
      }
    }
    if (queryStart !== -1) {
      for (const pair of url.slice(queryStart + 1).split("&")) {
        const equals = pair.indexOf("=");
        const rawKey = equals === -1 ? pair : pair.slice(0, equals);
        const key = decoded(rawKey.replaceAll("+", " "));
        if (key === undefined) throw undecodable("query");
        if (equals !== -1 && decoded(pair.slice(equals + 1).replaceAll("+", " ")) === undefined) {
          throw undecodable(key);
        }
      }
    }
    return next();
  };
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const TEXT_TYPE = /^text\//i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/** JSON bodies nest no deeper than this (arrays and objects); deeper is a 400 naming `body`. */
export const MAX_JSON_DEPTH = 64;

/** What the walk answers for nesting past MAX_JSON_DEPTH: no field path can be mistaken for it. */
const TOO_DEEP = Symbol("too deep");

/** A step on the way down to a value: shared by siblings, so the walk never copies a path. */
interface Step {
  readonly key: PropertyKey;
  readonly up: Step | undefined;
}

const pathOf = (step: Step | undefined): string => {
  const keys: PropertyKey[] = [];
  for (let at = step; at !== undefined; at = at.up) keys.push(at.key);
  return fieldPath(keys.reverse()) || "body";
};

/**
 * Where a string (key or value) first fails `bad` in a parsed JSON value, as a field path, in document
 * order; TOO_DEEP once arrays and objects nest past MAX_JSON_DEPTH. An explicit stack rather than
 * recursion, so no body can overflow the call stack, and the path is built only for what is found.
 */
function firstBadString(
  value: unknown,
  bad: (text: string) => boolean,
): string | typeof TOO_DEEP | undefined {
  const stack: { value: unknown; depth: number; step: Step | undefined }[] = [
    { value, depth: 0, step: undefined },
  ];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { value: item, depth, step } = top;
    if (typeof item === "string") {
      if (bad(item)) return pathOf(step);
      continue;
    }
    if (item === null || typeof item !== "object") continue;
    if (depth >= MAX_JSON_DEPTH) return TOO_DEEP;
    // Pushed last to first, so the walk meets them in document order; an object's key (a string
    // judged as its own field) just before its value.
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) {
        stack.push({ value: item[i], depth: depth + 1, step: { key: i, up: step } });
      }
    } else {
      const entries = Object.entries(item);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i] as [string, unknown];
        const at = { key, up: step };
        stack.push({ value: child, depth: depth + 1, step: at }, { value: key, depth, step: at });
      }
    }
  }
  return undefined;
}

const tooDeep = () =>
  badRequest("body", `body: JSON nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`);

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `line 3`: the line of a text body where the character at `index` stands. */
const lineAt = (text: string, index: number) => `line ${text.slice(0, index).split("\n").length}`;

/**
 * JSON and text bodies must be UTF-8 (a decoder would quietly turn other bytes into U+FFFD) and hold
 * no NUL or lone surrogate in any string, known field or not. JSON names the field (`users[1].memo`),
 * text the line (`line 3`). Malformed JSON is left to the validator, which answers its own 400.
 */
export function bodyTextGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!c.req.raw.body) return next();
    const type = c.req.header("content-type") ?? "";
    const json = JSON_TYPE.test(type);
    if (!json && !TEXT_TYPE.test(type)) return next();
    // Read once; Hono keeps the bytes, so the validator and the handler read the same body again.
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    let text: string | undefined;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      text = undefined;
    }
    if (text === undefined) {
      const lenient = lenientUtf8.decode(bytes);
      const found = json ? firstBadString(parsedJson(lenient), (s) => s.includes("\uFFFD")) : undefined;
      if (found === TOO_DEEP) throw tooDeep();
      const field = json ? (found ?? "body") : lineAt(lenient, lenient.indexOf("\uFFFD"));
      throw badRequest(field, `${field}: bytes that are not UTF-8 text`);
    }
    if (json) {
      const field = firstBadString(parsedJson(text), (s) => s.includes("\u0000") || LONE_SURROGATE.test(s));
      if (field === TOO_DEEP) throw tooDeep();
      if (field !== undefined) throw badRequest(field, `${field}: must be Unicode text without NUL (U+0000)`);
    } else {
      const nul = text.indexOf("\u0000");
      if (nul !== -1) {
        const field = lineAt(text, nul);
        throw badRequest(field, `${field}: must not contain NUL (U+0000)`);
      }
    }
    return next();
  };
}
