/**
 * Admin sessions on every request: the caller's address (through trusted proxies only), the bearer
 * token's session, its absolute expiry, the contract's idle timeout and admin allow-list, and the
 * temporary-password gate. Public paths are listed here, in one place, so a new route is
 * authenticated unless someone decides otherwise here.
 */
import { createHash, randomBytes } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import { addressAllowed, sourceAddress } from "@tsunagi/core";
import { adminSessionByToken, endAdminSession, touchAdminSession } from "@tsunagi/db";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Services } from "./context.js";
import { ApiError } from "./errors.js";

/** Reachable without a session. */
export function isPublic(method: string, path: string): boolean {
  if (method === "POST" && path === "/sessions") return true;
  return (
    path === "/health" ||
    path === "/ready" ||
    path === "/openapi.json" ||
    path === "/docs" ||
    path.startsWith("/docs/") ||
    path === "/reasons" ||
    // Answered to the operators' addresses only (metrics.ts), with no session.
    path === "/metrics" ||
    path === "/"
  );
}

/** Reachable with a temporary password: what it takes to change it, or to leave. */
function allowedWithTemporaryPassword(method: string, path: string): boolean {
  return path === "/sessions/current" || (method === "PUT" && path === "/sessions/current/password");
}

/** A fresh bearer token; only its hash is stored. */
export function newToken(): { token: string; tokenHash: string } {
  const token = randomBytes(32).toString("base64url");
  return { token, tokenHash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * The caller's address: the socket's peer, or, when that peer is one of `trustedProxies`, the
 * right-most X-Forwarded-For hop that is not (core's `sourceAddress`, the relay's rule too).
 * Undefined without a socket, which no allow-list admits.
 */
export function clientAddressOf(c: Context, trustedProxies: readonly string[]): string | undefined {
  let peer: string | undefined;
  try {
    peer = getConnInfo(c).remote.address;
  } catch {
    // A request handed to app.fetch without node-server's bindings has no socket.
    peer = undefined;
  }
  const address = sourceAddress(peer, c.req.header("x-forwarded-for"), trustedProxies);
  return address === "" ? undefined : address;
}

function bearerToken(c: Context): string | null {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+([A-Za-z0-9_-]{16,128})$/i.exec(header) : null;
  return match?.[1] ?? null;
}

/** Finds the session of the bearer token, ends it when expired or idle, and sets `admin`. */
export function authenticate(services: Services): MiddlewareHandler<AppEnv> {
  const { db, clock, metrics } = services;
  return async (c, next) => {
    const address = clientAddressOf(c, services.config.trustedProxies);
    c.set("clientAddress", address);
    const method = c.req.method;
    const path = c.req.path;
    if (isPublic(method, path)) return next();
    const token = bearerToken(c);
    if (!token) throw new ApiError(401, "unauthorized", "Log in first: send Authorization: Bearer <token>");
    const tokenHash = hashToken(token);
    const row = await metrics.database("session", () => adminSessionByToken(db, tokenHash));
    if (!row) throw new ApiError(401, "unauthorized", "Unknown session: log in again");
    const now = clock();
    const idleMs = row.contract.adminIdleTimeoutSeconds * 1000;
    if (row.session.expiresAt <= now || row.session.lastSeenAt.getTime() + idleMs <= now.getTime()) {
      await metrics.database("session", () => endAdminSession(db, tokenHash));
      throw new ApiError(401, "session-expired", "The session expired: log in again");
    }
    // Revocation: the allow-list is read with the session on every request, so narrowing it ends the
    // sessions used from addresses it no longer includes, at their next request.
    const allowList = row.contract.adminAllowCidrs;
    if (allowList !== null && (address === undefined || !addressAllowed(address, allowList))) {
      await metrics.database("session", () => endAdminSession(db, tokenHash));
      throw new ApiError(
        401,
        "address-not-allowed",
        "The session ended: the contract's admin allow-list does not include this address",
      );
    }
    await metrics.database("session", () => touchAdminSession(db, tokenHash, now));
    c.set("admin", {
      adminId: row.admin.id,
      login: row.admin.loginName,
      contractId: row.contract.id,
      contract: {
        code: row.contract.contractCode,
        name: row.contract.name,
        model: row.contract.model,
        serverHost: row.contract.serverHost,
        timeZone: row.contract.timeZone,
        historyRetentionMonths: row.contract.historyRetentionMonths,
      },
      temporaryPassword: row.admin.temporaryPassword,
      tokenHash,
      expiresAt: row.session.expiresAt,
      idleTimeoutSeconds: row.contract.adminIdleTimeoutSeconds,
    });
    if (row.admin.temporaryPassword && !allowedWithTemporaryPassword(method, path)) {
      throw new ApiError(
        403,
        "password-change-required",
        "The temporary password must be changed first: PUT /sessions/current/password",
      );
    }
    return next();
  };
}
