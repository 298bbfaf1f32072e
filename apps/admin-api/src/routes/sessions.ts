/**
 * Admin sessions: log in with the server host part, admin account and password; who am I; log out;
 * change password (required first when the password is the temporary one from the account sheet).
 *
 * Login spends one argon2 verification on every path (unknown admin, locked admin, wrong address,
 * wrong password), so neither the time nor the answer tells which admin names exist. Failures from
 * an address outside the contract's allow-list don't count towards the lockout: otherwise anyone
 * anywhere could keep the real admin locked out.
 */
import { createRoute } from "@hono/zod-openapi";
import { addressAllowed, hashSecret, verifyAgainstDummy, verifySecret } from "@tsunagi/core";
import { schema } from "@tsunagi/db";
import { and, eq, ne } from "drizzle-orm";
import { auditable, writeAudit } from "../audit.js";
import { newToken } from "../auth.js";
import { router, type Services } from "../context.js";
import { ApiError, authErrors, badRequest, errorResponse } from "../errors.js";
import { ChangePasswordBody, CurrentSession, LoginBody, LoginResponse } from "../schemas.js";

const tags = ["Sessions"];

const invalidCredentials = () =>
  new ApiError(
    401,
    "invalid-credentials",
    "Login failed: check the server, the admin account and the password. Repeated failures lock the account for a while.",
  );

export function sessionRoutes(services: Services) {
  const { db, clock, logger, config } = services;
  return router()
    .openapi(
      createRoute({
        method: "post",
        path: "/sessions",
        tags,
        summary: "Log in as an account manager",
        request: { body: { required: true, content: { "application/json": { schema: LoginBody } } } },
        responses: {
          200: { description: "Logged in", content: { "application/json": { schema: LoginResponse } } },
          400: errorResponse("Invalid request"),
          401: errorResponse("invalid-credentials: unknown admin, wrong password, or locked"),
          403: errorResponse("address-not-allowed: the contract's admin allow-list excludes this address"),
        },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const address = c.get("clientAddress");
        const [found] = await db
          .select({ admin: schema.adminAccounts, contract: schema.contracts })
          .from(schema.adminAccounts)
          .innerJoin(schema.contracts, eq(schema.contracts.id, schema.adminAccounts.contractId))
          .where(
            and(
              eq(schema.adminAccounts.serverHost, body.server),
              eq(schema.adminAccounts.loginName, body.login),
            ),
          );
        const log = { requestId: c.get("requestId"), server: body.server, login: body.login, address };
        if (!found) {
          await verifyAgainstDummy(body.password);
          logger.info({ ...log, outcome: "unknown-admin" }, "admin login failed");
          throw invalidCredentials();
        }
        const { admin, contract } = found;
        const now = clock();
        const passwordOk = await verifySecret(admin.passwordHash, body.password);
        const allowList = contract.adminAllowCidrs;
        if (allowList !== null && (address === undefined || !addressAllowed(address, allowList))) {
          logger.info({ ...log, outcome: "address-not-allowed" }, "admin login refused");
          // Only a caller who knows the password learns why; the others see an ordinary failure.
          if (passwordOk) {
            throw new ApiError(
              403,
              "address-not-allowed",
              "Logging in from this address is not allowed by the contract's security settings",
            );
          }
          throw invalidCredentials();
        }
        if (admin.lockedUntil && admin.lockedUntil > now) {
          logger.info({ ...log, outcome: "locked" }, "admin login failed");
          throw invalidCredentials();
        }
        if (!passwordOk) {
          const failed = admin.failedCount + 1;
          const lock = failed >= contract.lockoutThreshold;
          await db
            .update(schema.adminAccounts)
            .set(
              lock
                ? { failedCount: 0, lockedUntil: new Date(now.getTime() + contract.lockoutSeconds * 1000) }
                : { failedCount: failed },
            )
            .where(eq(schema.adminAccounts.id, admin.id));
          logger.info(
            { ...log, outcome: lock ? "wrong-password-locked" : "wrong-password" },
            "admin login failed",
          );
          throw invalidCredentials();
        }
        const { token, tokenHash } = newToken();
        const expiresAt = new Date(now.getTime() + config.sessionTtlSeconds * 1000);
        await db.transaction(async (tx) => {
          await tx
            .update(schema.adminAccounts)
            .set({ failedCount: 0, lockedUntil: null })
            .where(eq(schema.adminAccounts.id, admin.id));
          await tx.insert(schema.adminSessions).values({
            tokenHash,
            adminId: admin.id,
            contractId: contract.id,
            createdAt: now,
            lastSeenAt: now,
            expiresAt,
          });
        });
        logger.info({ ...log, outcome: "ok" }, "admin logged in");
        return c.json(
          {
            token,
            expiresAt: expiresAt.toISOString(),
            temporaryPassword: admin.temporaryPassword,
            idleTimeoutSeconds: contract.adminIdleTimeoutSeconds,
            admin: { login: admin.loginName },
            contract: {
              code: contract.contractCode,
              name: contract.name,
              model: contract.model,
              serverHost: contract.serverHost,
              timeZone: contract.timeZone,
            },
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/sessions/current",
        tags,
        summary: "The signed-in admin and contract",
        security: [{ bearer: [] }],
        responses: {
          200: { description: "The session", content: { "application/json": { schema: CurrentSession } } },
          401: authErrors[401],
        },
      }),
      (c) => {
        const admin = c.get("admin");
        return c.json(
          {
            expiresAt: admin.expiresAt.toISOString(),
            temporaryPassword: admin.temporaryPassword,
            idleTimeoutSeconds: admin.idleTimeoutSeconds,
            admin: { login: admin.login },
            contract: admin.contract,
          },
          200,
        );
      },
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/sessions/current",
        tags,
        summary: "Log out",
        security: [{ bearer: [] }],
        responses: { 204: { description: "Logged out" }, 401: authErrors[401] },
      }),
      async (c) => {
        await db
          .delete(schema.adminSessions)
          .where(eq(schema.adminSessions.tokenHash, c.get("admin").tokenHash));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/sessions/current/password",
        tags,
        summary: "Change the signed-in admin's password (ends the admin's other sessions)",
        security: [{ bearer: [] }],
        request: {
          body: { required: true, content: { "application/json": { schema: ChangePasswordBody } } },
        },
        responses: {
          204: { description: "Changed" },
          400: authErrors[400],
          401: authErrors[401],
        },
      }),
      async (c) => {
        const admin = c.get("admin");
        const body = c.req.valid("json");
        const [account] = await db
          .select()
          .from(schema.adminAccounts)
          .where(eq(schema.adminAccounts.id, admin.adminId));
        if (!account) throw new ApiError(401, "unauthorized", "Unknown session: log in again");
        if (!(await verifySecret(account.passwordHash, body.currentPassword))) {
          throw badRequest("currentPassword", "currentPassword: does not match the current password");
        }
        if (body.newPassword === body.currentPassword) {
          throw badRequest("newPassword", "newPassword: must differ from the current password");
        }
        const passwordHash = await hashSecret(body.newPassword);
        await db.transaction(async (tx) => {
          await tx
            .update(schema.adminAccounts)
            .set({ passwordHash, temporaryPassword: false, updatedAt: clock() })
            .where(eq(schema.adminAccounts.id, admin.adminId));
          // A password change ends every other session: a leaked token dies with the old password.
          await tx
            .delete(schema.adminSessions)
            .where(
              and(
                eq(schema.adminSessions.adminId, admin.adminId),
                ne(schema.adminSessions.tokenHash, admin.tokenHash),
              ),
            );
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
