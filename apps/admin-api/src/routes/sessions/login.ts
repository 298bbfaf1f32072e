/**
 * Admin sessions: log in with the server host part, admin account and password; who am I; log out;
 * change password (required first when the password is the temporary one from the account sheet).
 *
 * Every failed login gets one answer (401 invalid-credentials, one body) for one cost, whatever the
 * reason: unknown server, unknown admin, wrong password, locked, or outside the contract's admin
 * allow-list (even with the right password, so the allow-list is no password oracle). Each runs the
 * same two statements, the admin read and `recordAdminLogin`'s atomic counter update (which matches
 * no row for an unknown admin), around exactly one argon2 verification (the dummy hash when there is
 * no admin). The lock and the admission are decided by that update, on the row after the hash, so
 * parallel guesses are all counted. Only a success writes a third statement, the session.
 *
 * Outsiders cannot lock the admin out: attempts from outside the allow-list never touch the counter,
 * and the per-login-name rate limit is keyed by (server, login, inside or outside the allow-list), so
 * an outsider only empties the outside bucket, which never admits anyway. Floods meet the per-address
 * limit (IPv6 by its /64) and the bounded hash queue first: 429 or 503, with Retry-After.
 */
import { createRoute } from "@hono/zod-openapi";
import { ChangePasswordBody, CurrentSession, LoginBody, LoginResponse } from "@tsunagi/api-contract/sessions";
import {
  addressAllowed,
  hashSecret,
  RateLimiter,
  rateLimitKey,
  Semaphore,
  verifyAgainstDummy,
  verifySecret,
} from "@tsunagi/core";
import { findAdminForLogin, recordAdminLogin, schema } from "@tsunagi/db";
import { and, eq, ne } from "drizzle-orm";
import type { Context } from "hono";
import { auditable, writeAudit } from "../audit.js";
import { newToken } from "../auth.js";
import { router, type Services } from "../context.js";
import { ApiError, authErrors, badRequest, errorResponse } from "../errors.js";

const tags = ["Sessions"];

const invalidCredentials = () =>
  new ApiError(
    401,
    "invalid-credentials",
    "Login failed: check the server, the admin account and the password. Repeated failures lock the account for a while.",
  );

const currentPasswordRefused = () =>
  badRequest(
    "currentPassword",
    "currentPassword: does not match the current password (repeated failures lock the account for a while)",
  );

/** A refusal that tells the caller when to come back (`Retry-After`, seconds). */
function retryLater(c: Context, status: 429 | 503, seconds: number): ApiError {
  c.header("Retry-After", String(seconds));
  return status === 429
    ? new ApiError(429, "rate-limited", `Too many login attempts: retry in ${seconds} s`)
    : new ApiError(503, "busy", `Too many logins in progress: retry in ${seconds} s`);
}

/** Seconds a caller refused by a full hash queue waits: the queue drains within about that. */
const BUSY_RETRY_SECONDS = 1;
/** Buckets are swept (full ones forgotten) once per this many attempts, so the maps stay small. */
const SWEEP_EVERY = 1_000;

export function sessionRoutes(services: Services) {
  const { db, clock, logger, config } = services;
  const millis = () => clock().getTime();
  const perAddress = new RateLimiter(config.loginRateLimitPerAddress, millis);
  const perName = new RateLimiter(config.loginRateLimitPerName, millis);
  const hashes = new Semaphore(config.maxConcurrentHashes, config.maxQueuedHashes);
  let sinceSweep = 0;
  const sweep = () => {
    if (++sinceSweep < SWEEP_EVERY) return;
    sinceSweep = 0;
    perAddress.sweep();
    perName.sweep();
  };

  /** One argon2 verification through the bounded queue; null when the queue is full. */
  const verify = async (hash: string | undefined, password: string) => {
    const done = await hashes.run(() =>
      hash === undefined ? verifyAgainstDummy(password) : verifySecret(hash, password),
    );
    return done === null ? null : done.value;
  };

  return router()
    .openapi(
      createRoute({
        method: "post",
        path: "/sessions",
        tags,
        summary: "Log in as an account manager",
        description:
          "Every failed login answers 401 invalid-credentials alike: unknown server or admin, wrong password, locked, or an address outside the contract's admin allow-list.",
        request: { body: { required: true, content: { "application/json": { schema: LoginBody } } } },
        responses: {
          200: { description: "Logged in", content: { "application/json": { schema: LoginResponse } } },
          400: errorResponse("Invalid request"),
          401: errorResponse("invalid-credentials: the login failed (the reason is not told)"),
          429: errorResponse(
            "rate-limited: too many attempts from this address or for this login; see Retry-After",
          ),
          503: errorResponse("busy: too many logins in progress; see Retry-After"),
        },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const address = c.get("clientAddress");
        const log = { requestId: c.get("requestId"), server: body.server, login: body.login, address };
        sweep();
        const byAddress = perAddress.admit(rateLimitKey(address ?? ""));
        if (!byAddress.ok) {
          logger.info({ ...log, outcome: "rate-limited-address" }, "admin login refused");
          throw retryLater(c, 429, byAddress.retryAfterSeconds);
        }
        // Statement 1: the admin and its contract (none for an unknown server or admin).
        const found = await findAdminForLogin(db, body.server, body.login);
        const allowList = found?.contract.adminAllowCidrs ?? null;
        const inside = allowList === null || (address !== undefined && addressAllowed(address, allowList));
        const byName = perName.admit(
          `${body.server}\u0000${body.login}\u0000${inside ? "inside" : "outside"}`,
        );
        if (!byName.ok) {
          logger.info({ ...log, outcome: "rate-limited-login" }, "admin login refused");
          throw retryLater(c, 429, byName.retryAfterSeconds);
        }
        const passwordHash = found?.admin.passwordHash;
        const passwordOk = await verify(passwordHash, body.password);
        if (passwordOk === null) {
          logger.warn({ ...log, outcome: "busy" }, "admin login refused");
          throw retryLater(c, 503, BUSY_RETRY_SECONDS);
        }
        const now = clock();
        // Statement 2, on every path: the counter, the lock and the admission, decided on the row.
        const outcome = await recordAdminLogin(db, {
          serverHost: body.server,
          loginName: body.login,
          counted: inside,
          passwordOk,
          verifiedHash: passwordHash ?? "",
          now,
        });
        if (!found || !inside || !outcome?.admitted) {
          const reason = !found
            ? "unknown-admin"
            : !inside
              ? "address-not-allowed"
              : outcome?.locked && passwordOk
                ? "locked"
                : passwordOk
                  ? "password-changed-meanwhile"
                  : outcome?.locked
                    ? "wrong-password-locked"
                    : "wrong-password";
          // The log is the operators': it may say why, and that a right password came from outside.
          logger.info(
            { ...log, outcome: reason, failedCount: outcome?.failedCount, ...(inside ? {} : { passwordOk }) },
            "admin login failed",
          );
          throw invalidCredentials();
        }
        const { admin, contract } = found;
        const { token, tokenHash } = newToken();
        const expiresAt = new Date(now.getTime() + config.sessionTtlSeconds * 1000);
        await db.insert(schema.adminSessions).values({
          tokenHash,
          adminId: admin.id,
          contractId: contract.id,
          createdAt: now,
          lastSeenAt: now,
          expiresAt,
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
        const [account] = await db
          .select()
          .from(schema.adminAccounts)
          .where(eq(schema.adminAccounts.id, admin.adminId));
        if (!account) throw new ApiError(401, "unauthorized", "Unknown session: log in again");
        const passwordOk = await verify(account.passwordHash, body.currentPassword);
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
