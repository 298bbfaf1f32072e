/** What the user routes share: their tag, their error answers, and the ETag that carries a user's version. */
import { UserDetail } from "@tsunagi/api-contract/users";
import type { Context } from "hono";
import { authErrors, errorResponse } from "../../errors.js";

export const tags = ["User management"];

export const userErrors = {
  ...authErrors,
  404: errorResponse("No such user in this contract"),
} as const;

/** The answers of an action on one user: the user after it, or why not. */
export const changedUserResponses = {
  200: {
    description: "The user after the change",
    content: { "application/json": { schema: UserDetail } },
  },
  ...userErrors,
};

/** Sets the ETag of `detail` (its version, the If-Match of the next change) and hands it back. */
export function withETag(c: Context, detail: UserDetail): UserDetail {
  c.header("ETag", `"${detail.version}"`);
  return detail;
}
