/**
 * PATCH /users/{userName}: individual management (個別管理), one user changed against the version
 * the admin read (If-Match or `version`), so a concurrent change is never overwritten.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { UserNameParam, UserPatchBody } from "@tsunagi/api-contract/users";
import { hashSecret } from "@tsunagi/core/password";
import { router, type Services } from "../../context.js";
import { ApiError, badRequest, errorResponse } from "../../errors.js";
import { changeUser } from "../../users/change.js";
import { changedUserResponses, tags, withETag } from "./common.js";

function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!match) throw badRequest("if-match", 'if-match: expected the ETag of the user, e.g. "3"');
  return Number(match[1]);
}

export function patchUser(services: Services) {
  return router().openapi(
    createRoute({
      method: "patch",
      path: "/users/{userName}",
      tags,
      summary: "Change one user (send the version you read as If-Match or `version`)",
      security: [{ bearer: [] }],
      request: {
        params: UserNameParam,
        headers: z.object({ "if-match": z.string().max(40).optional() }),
        body: { required: true, content: { "application/json": { schema: UserPatchBody } } },
      },
      responses: {
        ...changedUserResponses,
        409: errorResponse(
          "version-conflict: changed by someone else since it was read; nothing was changed",
        ),
        428: errorResponse("precondition-required: send If-Match or version"),
      },
    }),
    async (c) => {
      const { userName } = c.req.valid("param");
      const { version: bodyVersion, ...change } = c.req.valid("json");
      const version = bodyVersion ?? parseIfMatch(c.req.valid("header")["if-match"]);
      if (version === undefined) {
        throw new ApiError(
          428,
          "precondition-required",
          "version: send the version you read (body `version` or If-Match) so a concurrent change isn't overwritten",
          "version",
        );
      }
      const passwordHash = change.password ? await hashSecret(change.password) : undefined;
      const detail = await changeUser(services, c.get("admin"), userName, version, change, passwordHash);
      return c.json(withETag(c, detail), 200);
    },
  );
}
