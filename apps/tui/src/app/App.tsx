/**
 * The TUI's root container: the login screen, then (Authed.tsx) the forced password change, the menu
 * and the screens. Only the login screen is loaded at start-up; the rest is fetched in the background
 * once the login screen is on the terminal, so it is there by the time the admin has typed a password.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import type { AdminApiPort } from "../api/client.js";
import type { LoginResponse } from "../api/types.js";
import { useF2 } from "../hooks/use-keys.js";
import { LoginScreen } from "../screens/LoginScreen.js";
import type { Session } from "./session.js";
import { reportingSessionLoss, useSessionLoss } from "./session-loss.js";
import { ContractTimeZone, useUi } from "./ui-context.js";

export type { Route } from "./Authed.js";

const loadAuthed = () => import("./Authed.js");
const Authed = lazy(async () => ({ default: (await loadAuthed()).Authed }));

export interface AppProps {
  api: AdminApiPort;
  prefill?: { server?: string | undefined; login?: string | undefined } | undefined;
  demoHint?: string | undefined;
  /** Called after logout when the process should end (Ctrl+C ends it anyway). */
  onExit?: () => void;
}

export function App({ api, prefill, demoHint }: AppProps) {
  const { m, toggleLang } = useUi();
  useF2(toggleLang);
  const [auth, setAuth] = useState<{ login: LoginResponse; api: AdminApiPort } | null>(null);
  const [loginNotice, setLoginNotice] = useState<string | undefined>();

  // After the login screen's first frame: the screens behind it, while the admin types.
  useEffect(() => {
    const timer = setTimeout(() => void loadAuthed(), 0);
    return () => clearTimeout(timer);
  }, []);

  const logout = useCallback(
    (expired = false) => {
      if (auth && !expired) void auth.api.logout();
      setAuth(null);
      setLoginNotice(expired ? m.sessionExpired : undefined);
    },
    [auth, m],
  );
  const reportLost = useSessionLoss(auth?.login.token ?? null, logout);
  const session = useMemo<Session | null>(() => {
    if (!auth) return null;
    const { token } = auth.login;
    return { api: reportingSessionLoss(auth.api, () => reportLost(token)), login: auth.login, logout };
  }, [auth, logout, reportLost]);

  if (!session) {
    return (
      <LoginScreen
        key={loginNotice ?? "login"}
        api={api}
        prefill={{ server: prefill?.server, login: prefill?.login }}
        demoHint={demoHint}
        notice={loginNotice}
        onLoggedIn={(login, authed) => setAuth({ login, api: authed })}
      />
    );
  }
  // Each login starts at the menu (or the forced password change) with fresh screen state.
  return (
    <Suspense fallback={null}>
      <ContractTimeZone zone={session.login.contract.timeZone}>
        <Authed key={session.login.token} session={session} />
      </ContractTimeZone>
    </Suspense>
  );
}
