/**
 * Everything after login: the forced password change after a temporary password, then the menu and
 * the screen the admin is on. Screens hand each other work through `route`, e.g. a failure row's fix
 * opens user management on that user with the field focused. Loaded apart from the login screen
 * (see App.tsx), so start-up doesn't wait for the screens, the reason catalogue and their modules.
 */
import { useState } from "react";
import type { FrameStatus } from "../components/Frame.js";
import type { FixTarget } from "../lib/user-draft.js";
import { ActiveSessionsScreen } from "../screens/ActiveSessionsScreen.js";
import { ChangePasswordScreen } from "../screens/ChangePasswordScreen.js";
import { GroupingScreen } from "../screens/GroupingScreen.js";
import { HistoryScreen } from "../screens/HistoryScreen.js";
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
  | { screen: "sessions" }
  | { screen: "password" };

export interface AuthedProps {
  session: Session;
}

export function Authed({ session }: AuthedProps) {
  const { m } = useUi();
  const [forced, setForced] = useState(session.login.temporaryPassword);
  const [route, setRoute] = useState<Route>({ screen: "menu" });
  const [menuStatus, setMenuStatus] = useState<FrameStatus | null>(null);

  const back = () => setRoute({ screen: "menu" });
  const choose = (id: MenuId) => {
    setMenuStatus(null);
    if (id === "logout") session.logout();
    else setRoute({ screen: id } as Route);
  };
  const openFix = (target: FixTarget) =>
    setRoute({ screen: "users", open: { userName: target.userName, fix: target } });

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
        screen = <HistoryScreen onBack={back} onOpenFix={openFix} />;
        break;
      case "troubleshoot":
        screen = <TroubleshootScreen onBack={back} onOpenFix={openFix} />;
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
      case "sessions":
        screen = <ActiveSessionsScreen onBack={back} />;
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
  return <SessionProvider session={session}>{screen}</SessionProvider>;
}
