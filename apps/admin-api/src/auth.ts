/**
 * Admin sessions on every request: the bearer token's session, its absolute expiry and the contract's
 * idle timeout, and the temporary-password gate. Public paths are listed here, in one place, so a
 * new route is authenticated unless someone decides otherwise here.
 */
import { createHash, randomBytes } from "node:crypto";
import { getConnInfo } from "@hono/node-server/conninfo";
import { schema } from "@tsunagi/db";
import { eq } from "drizzle-orm";
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
    path === "/reasons" ||
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

/** The caller's address: the socket's, or X-Forwarded-For's first entry behind a trusted proxy. */
export function clientAddressOf(c: Context, trustProxy: boolean): string | undefined {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address;
  } catch {
    // app.request() in tests has no socket.
    return undefined;
  }
}

function bearerToken(c: Context): string | null {
  const header = c.req.header("authorization");
  const match = header ? /^Bearer\s+([A-Za-z0-9_-]{16,128})$/i.exec(header) : null;
  return match?.[1] ?? null;
}

/** Finds the session of the bearer token, ends it when expired or idle, and sets `admin`. */
export function authenticate(services: Services): MiddlewareHandler<AppEnv> {
  const { db, clock } = services;
  return async (c, next) => {
    c.set("clientAddress", clientAddressOf(c, services.config.trustProxy));
    const method = c.req.method;
    const path = c.req.path;
    if (isPublic(method, path)) return next();
    const token = bearerToken(c);
    if (!token) throw new ApiError(401, "unauthorized", "Log in first: send Authorization: Bearer <token>");
    const tokenHash = hashToken(token);
    const [row] = await db
      .select({ session: schema.adminSessions, admin: schema.adminAccounts, contract: schema.contracts })
      .from(schema.adminSessions)
      .innerJoin(schema.adminAccounts, eq(schema.adminAccounts.id, schema.adminSessions.adminId))
      .innerJoin(schema.contracts, eq(schema.contracts.id, schema.adminSessions.contractId))
      .where(eq(schema.adminSessions.tokenHash, tokenHash));
    if (!row) throw new ApiError(401, "unauthorized", "Unknown session: log in again");
    const now = clock();
    const idleMs = row.contract.adminIdleTimeoutSeconds * 1000;
    if (row.session.expiresAt <= now || row.session.lastSeenAt.getTime() + idleMs <= now.getTime()) {
      await db.delete(schema.adminSessions).where(eq(schema.adminSessions.tokenHash, tokenHash));
      throw new ApiError(401, "session-expired", "The session expired: log in again");
    }
    await db
      .update(schema.adminSessions)
      .set({ lastSeenAt: now })
      .where(eq(schema.adminSessions.tokenHash, tokenHash));
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
