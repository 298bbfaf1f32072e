/**
 * The TUI's root container: login, the forced password change after a temporary password, then the
 * menu and the screen the admin is on. Screens hand each other work through `route`, e.g. a failure
 * row's fix opens user management on that user with the field focused.
 */
import { useApp } from "ink";
import { useCallback, useMemo, useState } from "react";
import type { AdminApiPort } from "../api/client.js";
import type { LoginResponse } from "../api/types.js";
import type { FrameStatus } from "../components/Frame.js";
import { useF2 } from "../hooks/use-keys.js";
import type { FixTarget } from "../lib/user-draft.js";
import { ChangePasswordScreen } from "../screens/ChangePasswordScreen.js";
import { GroupingScreen } from "../screens/GroupingScreen.js";
import { HistoryScreen } from "../screens/HistoryScreen.js";
import { LoginScreen } from "../screens/LoginScreen.js";
import { type MenuId, MenuScreen } from "../screens/MenuScreen.js";
import { SecurityScreen } from "../screens/SecurityScreen.js";
import { TroubleshootScreen } from "../screens/TroubleshootScreen.js";
import { UsersScreen } from "../screens/UsersScreen.js";
import { type Session, SessionProvider } from "./session.js";
import { useUi } from "./ui-context.js";

export type Route =
  | { screen: "menu" }
  | { screen: "history" }
  | { screen: "troubleshoot" }
  | { screen: "users"; open?: { userName: string; fix?: FixTarget } }
  | { screen: "grouping" }
  | { screen: "security" }
  | { screen: "password" };

export interface AppProps {
  api: AdminApiPort;
  prefill?: { server?: string | undefined; login?: string | undefined } | undefined;
  demoHint?: string | undefined;
  /** Called after logout when the process should end (Ctrl+C ends it anyway). */
  onExit?: () => void;
}

export function App({ api, prefill, demoHint }: AppProps) {
  const { m, toggleLang } = useUi();
  const { exit } = useApp();
  useF2(toggleLang);
  const [auth, setAuth] = useState<{ login: LoginResponse; api: AdminApiPort } | null>(null);
  const [forced, setForced] = useState(false);
  const [route, setRoute] = useState<Route>({ screen: "menu" });
  const [menuStatus, setMenuStatus] = useState<FrameStatus | null>(null);
  const [loginNotice, setLoginNotice] = useState<string | undefined>();

  const logout = useCallback(
    (expired = false) => {
      if (auth && !expired) void auth.api.logout();
      setAuth(null);
      setRoute({ screen: "menu" });
      setLoginNotice(expired ? m.sessionExpired : undefined);
    },
    [auth, m],
  );
  const session = useMemo<Session | null>(
    () => (auth ? { api: auth.api, login: auth.login, logout } : null),
    [auth, logout],
  );

  if (!session) {
    return (
      <LoginScreen
        key={loginNotice ?? "login"}
        api={api}
        prefill={{ server: prefill?.server, login: prefill?.login }}
        demoHint={demoHint}
        notice={loginNotice}
        onLoggedIn={(login, authed) => {
          setAuth({ login, api: authed });
          setForced(login.temporaryPassword);
          setMenuStatus(null);
          setRoute({ screen: "menu" });
        }}
      />
    );
  }

  const back = () => setRoute({ screen: "menu" });
  const choose = (id: MenuId) => {
    setMenuStatus(null);
    if (id === "logout") logout();
    else setRoute({ screen: id } as Route);
  };

  let screen: React.ReactNode;
  if (forced) {
    screen = (
      <ChangePasswordScreen
        forced
        onBack={back}
        onDone={() => {
          setForced(false);
          setMenuStatus({ kind: "success", text: m.passwordChanged });
        }}
      />
    );
  } else {
    switch (route.screen) {
      case "menu":
        screen = <MenuScreen status={menuStatus} onChoose={choose} />;
        break;
      case "history":
        screen = (
          <HistoryScreen
            onBack={back}
            onOpenFix={(target) =>
              setRoute({ screen: "users", open: { userName: target.userName, fix: target } })
            }
          />
        );
        break;
      case "troubleshoot":
        screen = (
          <TroubleshootScreen
            onBack={back}
            onOpenFix={(target) =>
              setRoute({ screen: "users", open: { userName: target.userName, fix: target } })
            }
          />
        );
        break;
      case "users":
        screen = <UsersScreen key={route.open?.userName ?? ""} open={route.open} onBack={back} />;
        break;
      case "grouping":
        screen = <GroupingScreen onBack={back} />;
        break;
      case "security":
        screen = <SecurityScreen onBack={back} />;
        break;
      case "password":
        screen = (
          <ChangePasswordScreen
            forced={false}
            onBack={back}
            onDone={() => {
              setMenuStatus({ kind: "success", text: m.passwordChanged });
              back();
            }}
          />
        );
        break;
    }
  }
  void exit;
  return <SessionProvider session={session}>{screen}</SessionProvider>;
}
