/**
 * What every route is built from: the dependencies handed to `createApp`, the per-request variables,
 * and `router()`, the one way to make an OpenAPIHono so every router shares the validation hook.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Database } from "@tsunagi/db";
import type { Logger } from "pino";
import { validationHook } from "./errors.js";

export interface AdminApiConfig {
  /** Absolute session lifetime; the contract's idle timeout ends sessions sooner. */
  sessionTtlSeconds?: number;
  /**
   * Take the client address from X-Forwarded-For (first entry). Only behind a proxy that sets it:
   * otherwise a caller could claim any address and walk through the admin allow-list.
   */
  trustProxy?: boolean;
}

export interface Deps {
  db: Database;
  /** Injected so tests can move time (idle timeout, lockout) without sleeping. */
  clock?: () => Date;
  logger?: Logger;
  config: AdminApiConfig;
}

/** Deps with the defaults filled in. */
export interface Services {
  db: Database;
  clock: () => Date;
  logger: Logger;
  config: Required<AdminApiConfig>;
}

/** The signed-in account manager, as the auth middleware finds it. */
export interface AdminContext {
  adminId: string;
  login: string;
  contractId: string;
  contract: { code: string; name: string; model: "legacy" | "neo"; serverHost: string; timeZone: string };
  temporaryPassword: boolean;
  tokenHash: string;
  expiresAt: Date;
  idleTimeoutSeconds: number;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set on every authenticated route; public routes never read it. */
    admin: AdminContext;
    clientAddress: string | undefined;
  };
}

/** An OpenAPIHono with the shared validation hook: every router is made here. */
export function router() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
