/** GET /users: a contract's users, searching user name and memo, one keyset page by user name. */
import { createRoute } from "@hono/zod-openapi";
import { UsersPage, UsersQuery } from "@tsunagi/api-contract/users";
import { usersPage } from "@tsunagi/db";
import { router, type Services } from "../../context.js";
import { decodeCursor, encodeCursor, NameCursorShape } from "../../cursor.js";
import { authErrors } from "../../errors.js";
import { tags } from "./common.js";

export function listUsers(services: Services) {
  const { db, clock } = services;
  return router().openapi(
    createRoute({
      method: "get",
      path: "/users",
      tags,
      summary: "List users, searching user name and memo",
      security: [{ bearer: [] }],
      request: { query: UsersQuery },
      responses: {
        200: {
          description: "One page, by user name",
          content: { "application/json": { schema: UsersPage } },
        },
        ...authErrors,
      },
    }),
    async (c) => {
      const { q, limit, cursor } = c.req.valid("query");
      const admin = c.get("admin");
      const at = decodeCursor(cursor, NameCursorShape);
      const page = await usersPage(db, admin.contractId, { q, afterName: at?.n, limit });
      const now = clock();
      const last = page.users.at(-1);
      return c.json(
        {
          users: page.users.map((u) => ({
            userName: u.userName,
            userType: u.userType,
            viewerProduct: u.viewerProduct,
            memo: u.memo,
            locked: u.lockedUntil !== null && u.lockedUntil > now,
            version: u.version,
          })),
          nextCursor: page.more && last ? encodeCursor({ n: last.userName }) : null,
        },
        200,
      );
    },
  );
}
