/**
 * POST /sessions: an account manager logs in with the server host part, admin account and password.
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
import { LoginBody, LoginResponse } from "@tsunagi/api-contract/sessions";
import { addressAllowed, rateLimitKey } from "@tsunagi/core";
import { findAdminForLogin, openAdminSession, recordAdminLogin } from "@tsunagi/db";
import { newToken } from "../../auth.js";
import { router, type Services } from "../../context.js";
import { ApiError, errorResponse } from "../../errors.js";
import { BUSY_RETRY_SECONDS, type LoginGuards, retryLater } from "../../sessions/guards.js";
import { tags } from "./common.js";

const invalidCredentials = () =>
  new ApiError(
    401,
    "invalid-credentials",
    "Login failed: check the server, the admin account and the password. Repeated failures lock the account for a while.",
  );

export function login(services: Services, guards: LoginGuards) {
  const { db, clock, logger, config, metrics } = services;
  return router().openapi(
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
      guards.sweep();
      const byAddress = guards.perAddress.admit(rateLimitKey(address ?? ""));
      if (!byAddress.ok) {
        logger.info({ ...log, outcome: "rate-limited-address" }, "admin login refused");
        throw retryLater(c, 429, byAddress.retryAfterSeconds);
      }
      // Statement 1: the admin and its contract (none for an unknown server or admin).
      const found = await metrics.database("login", () => findAdminForLogin(db, body.server, body.login));
      const allowList = found?.contract.adminAllowCidrs ?? null;
      const inside = allowList === null || (address !== undefined && addressAllowed(address, allowList));
      const byName = guards.perName.admit(
        `${body.server}\u0000${body.login}\u0000${inside ? "inside" : "outside"}`,
      );
      if (!byName.ok) {
        logger.info({ ...log, outcome: "rate-limited-login" }, "admin login refused");
        throw retryLater(c, 429, byName.retryAfterSeconds);
      }
      const passwordHash = found?.admin.passwordHash;
      const passwordOk = await guards.verify(passwordHash, body.password);
      if (passwordOk === null) {
        logger.warn({ ...log, outcome: "busy" }, "admin login refused");
        throw retryLater(c, 503, BUSY_RETRY_SECONDS);
      }
      const now = clock();
      // Statement 2, on every path: the counter, the lock and the admission, decided on the row.
      const outcome = await metrics.database("login", () =>
        recordAdminLogin(db, {
          serverHost: body.server,
          loginName: body.login,
          counted: inside,
          passwordOk,
          verifiedHash: passwordHash ?? "",
          now,
        }),
      );
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
      await metrics.database("login", () =>
        openAdminSession(db, {
          tokenHash,
          adminId: admin.id,
          contractId: contract.id,
          createdAt: now,
          lastSeenAt: now,
          expiresAt,
        }),
      );
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
  );
}
