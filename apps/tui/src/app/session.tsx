/**
 * The logged-in session every screen after login works in: the API with the token, who is logged in
 * to which contract, and the way out (log out, or back to login when the session has expired).
 */
import { createContext, type ReactNode, useContext } from "react";
import type { AdminApiPort, ApiFailure } from "../api/client.js";
import type { LoginResponse } from "../api/types.js";
import type { Messages } from "../i18n/index.js";

export interface Session {
  api: AdminApiPort;
  login: LoginResponse;
  /** Ends the session; `expired` returns to login saying so. */
  logout(expired?: boolean): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside SessionProvider");
  return s;
}

/**
 * The frame's right-hand side: "asp1 · Contract ID 000000 · account.admin", and a short form that
 * leaves the title room at 80 columns.
 */
export function sessionContext(m: Messages, login: LoginResponse): { long: string; short: string } {
  const { serverHost, code } = login.contract;
  return {
    long: `${serverHost} · ${m.contractId} ${code} · ${login.admin.login}`,
    short: `${serverHost} · ${code} · ${login.admin.login}`,
  };
}

/** What an API failure means to the admin, in the admin's language. */
export function describeFailure(m: Messages, apiUrl: string, error: ApiFailure): string {
  if (error.kind === "unreachable") return m.unreachable(apiUrl);
  switch (error.code) {
    case "invalid-credentials":
      return m.wrongCredentials;
    case "address-not-allowed":
      return m.addressNotAllowed;
    case "rate-limited":
      return m.rateLimited(error.retryAfterSeconds ?? 1);
    case "busy":
      return m.busy(error.retryAfterSeconds ?? 1);
    case "unauthorized":
    case "session-expired":
      return m.sessionExpired;
    case "version-conflict":
      return m.versionConflict;
    case "not-found":
      return m.notFound;
    default:
      return m.apiError(error.message);
  }
}

/** True when the failure means the session is gone and the admin must log in again. */
export function isSessionLost(error: ApiFailure): boolean {
  // address-not-allowed: the contract's admin allow-list no longer includes where the token is used.
  return (
    error.kind === "api" &&
    (error.code === "unauthorized" ||
      error.code === "session-expired" ||
      error.code === "address-not-allowed")
  );
}
