/**
 * PUT /sessions/current/password: the signed-in admin changes its password (required first while it
 * is the temporary one from the account sheet); the admin's other sessions end.
 */
import { createRoute } from "@hono/zod-openapi";
import { ChangePasswordBody } from "@tsunagi/api-contract/sessions";
import { hashSecret } from "@tsunagi/core/password";
import { adminAccountById, changeAdminPassword, recordAdminLogin } from "@tsunagi/db";
import { asDb, auditable, writeAudit } from "../../audit.js";
import { router, type Services } from "../../context.js";
import { ApiError, authErrors, badRequest, errorResponse } from "../../errors.js";
import { BUSY_RETRY_SECONDS, type LoginGuards, retryLater } from "../../sessions/guards.js";
import { tags } from "./common.js";

const currentPasswordRefused = () =>
  badRequest(
    "currentPassword",
    "currentPassword: does not match the current password (repeated failures lock the account for a while)",
  );

export function changeOwnPassword(services: Services, guards: LoginGuards) {
  const { db, clock, logger } = services;
  return router().openapi(
    createRoute({
      method: "put",
      path: "/sessions/current/password",
      tags,
      summary: "Change the signed-in admin's password (ends the admin's other sessions)",
      security: [{ bearer: [] }],
      request: {
        body: { required: true, content: { "application/json": { schema: ChangePasswordBody } } },
      },
      description:
        "A wrong currentPassword counts as a failed login (it may lock the account); while the account is locked the change is refused with the same 400.",
      responses: {
        204: { description: "Changed" },
        400: authErrors[400],
        401: authErrors[401],
        503: errorResponse("busy: too many password checks in progress; see Retry-After"),
      },
    }),
    async (c) => {
      const admin = c.get("admin");
      const body = c.req.valid("json");
      const account = await adminAccountById(db, admin.adminId);
      if (!account) throw new ApiError(401, "unauthorized", "Unknown session: log in again");
      const passwordOk = await guards.verify(account.passwordHash, body.currentPassword);
      if (passwordOk === null) throw retryLater(c, 503, BUSY_RETRY_SECONDS);
      // A token thief must not guess the password here either: the login's counter and lock apply.
      const outcome = await recordAdminLogin(db, {
        serverHost: account.serverHost,
        loginName: account.loginName,
        counted: true,
        passwordOk,
        verifiedHash: account.passwordHash,
        now: clock(),
      });
      if (!outcome?.admitted) {
        logger.info(
          {
            requestId: c.get("requestId"),
            login: account.loginName,
            outcome: passwordOk ? "locked" : "wrong-current-password",
            failedCount: outcome?.failedCount,
          },
          "admin password change refused",
        );
        throw currentPasswordRefused();
      }
      if (body.newPassword === body.currentPassword) {
        throw badRequest("newPassword", "newPassword: must differ from the current password");
      }
      const passwordHash = await hashSecret(body.newPassword);
      await db.transaction(async (tx) => {
        // A password change ends every other session: a leaked token dies with the old password.
        await changeAdminPassword(asDb(tx), admin.adminId, passwordHash, admin.tokenHash, clock());
        await writeAudit(tx, admin, {
          action: "admin.password.change",
          targetType: "admin",
          targetId: admin.adminId,
          before: {
            ...auditable({ loginName: account.loginName, temporaryPassword: account.temporaryPassword }),
          },
          after: { loginName: account.loginName, temporaryPassword: false, password: "changed" },
        });
      });
      return c.body(null, 204);
    },
  );
}
