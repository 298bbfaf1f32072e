/**
 * Session loss, handled in one place: the logged-in port reports every answer that means the session
 * is gone (an expired or revoked token, an address the admin allow-list no longer admits), and the
 * app logs out in an effect. Screens only show failures; none of them logs out, and none during render.
 */
import { useEffect, useState } from "react";
import type { AdminApiPort, Result } from "../api/client.js";
import { isSessionLost } from "./session.js";

/** The same port, each answer checked on its way to the screen; `onLost` hears of a lost session. */
export function reportingSessionLoss(api: AdminApiPort, onLost: () => void): AdminApiPort {
  return new Proxy(api, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      if (name === "withToken")
        return (token: string) => reportingSessionLoss(target.withToken(token), onLost);
      return async (...args: unknown[]) => {
        const res = (await value.apply(target, args)) as Result<unknown>;
        if (!res.ok && isSessionLost(res.error)) onLost();
        return res;
      };
    },
  });
}

/**
 * Calls `logout(true)` in an effect once the session identified by `token` has been reported lost;
 * a report about an earlier session (a request still in flight at logout) is ignored.
 */
export function useSessionLoss(
  token: string | null,
  logout: (expired: boolean) => void,
): (lost: string) => void {
  const [lost, setLost] = useState<string | null>(null);
  useEffect(() => {
    if (lost === null) return;
    // Cleared first: a later session may be handed the same token again.
    setLost(null);
    if (lost === token) logout(true);
  }, [lost, token, logout]);
  return setLost;
}
