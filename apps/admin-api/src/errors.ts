/**
 * The one error shape, `{ error: { code, message, requestId, field? } }`, and the two places errors
 * become responses: the validation hook (a 400 naming the field) and `onError` (everything thrown).
 * Anything unknown is logged with its stack and answered as a bare 500, so no internals leak.
 */

import { ErrorBody, type ErrorCode } from "@tsunagi/api-contract/errors";
import { loggableError } from "@tsunagi/db";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import type { ZodError } from "zod";

/** An expected failure a handler throws; `onError` turns it into the error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const notFound = (what: string, field?: string) =>
  new ApiError(404, "not-found", `${what} not found`, field);
export const badRequest = (field: string, message: string) =>
  new ApiError(400, "invalid-request", message, field);

function requestIdOf(c: Context): string {
  return (c.get("requestId") as string | undefined) ?? "unknown";
}

export function errorBody(c: Context, code: ErrorCode, message: string, field?: string): ErrorBody {
  return { error: { code, message, requestId: requestIdOf(c), ...(field === undefined ? {} : { field }) } };
}

/** `permissions.viewerProduct`, `users[2].memo`, `restrictions.ipAllow.viewer[0]`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** What a message's own field name looks like: `threshold`, `ipAllow.viewer[0]`. */
const FIELD_PATH = /^[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*|\[\d+\])*$/;

/** The first issue of a failed validation as a field and a message that names it. */
export function describeZodError(error: ZodError, target: string): { field: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { field: target, message: `invalid ${target}` };
  let field = fieldPath(issue.path);
  // An unknown key is reported on its parent; the key itself is the field the caller got wrong.
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) {
    field = fieldPath([...issue.path, issue.keys[0] as string]);
  }
  if (field === "") field = target === "json" ? "body" : target;
  // Shared schemas (core's) name the field by their own path: "ipAllow.viewer[0]: …" inside
  // "restrictions", or under another name altogether (adminAllowCidrs). Say our full path once.
  const colon = issue.message.indexOf(": ");
  const prefix = colon > 0 ? issue.message.slice(0, colon) : "";
  const named = prefix !== "" && (field.endsWith(prefix) || FIELD_PATH.test(prefix));
  const message = `${field}: ${named ? issue.message.slice(colon + 2) : issue.message}`;
  return { field, message };
}

/** The defaultHook of every router: a failed request validation becomes a 400 naming the field. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target: string },
  c: Context,
) {
  if (result.success) return;
  const { field, message } = describeZodError(result.error, result.target);
  return c.json(errorBody(c, "invalid-request", message, field), 400);
}

/** The app's onError: expected failures become their response; anything else a logged, bare 500. */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context): Response => {
    if (error instanceof ApiError) {
      return c.json(errorBody(c, error.code, error.message, error.field), error.status);
    }
    if (error instanceof HTTPException && error.status < 500) {
      // Hono's own rejections: malformed JSON, wrong content type, body too large.
      const code: ErrorCode = error.status === 415 ? "unsupported-media-type" : "invalid-request";
      const field = error.status === 415 ? "content-type" : "body";
      return c.json(
        errorBody(c, code, `${field}: ${error.message}`, field),
        error.status as ContentfulStatusCode,
      );
    }
    // Never the error itself: a query error carries its statement and parameters (hashes among them).
    logger.error({ requestId: requestIdOf(c), err: loggableError(error) }, "unhandled error");
    return c.json(errorBody(c, "internal", "Internal error; quote the request id when reporting it."), 500);
  };
}

/** An error response for a route's OpenAPI entry. */
export const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorBody } },
});

/** The errors every authenticated route may answer with. */
export const authErrors = {
  400: errorResponse("Invalid request; `field` names the input"),
  401: errorResponse("Missing, unknown or expired session"),
  403: errorResponse("password-change-required: change the temporary password first"),
} as const;
