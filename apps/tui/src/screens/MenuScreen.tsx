/**
 * The account-management menu (docs/domain.md, "Admin accounts and security settings"): ↑↓ and Enter,
 * or the item's number.
 */
import { Box, Text } from "ink";
import { useState } from "react";
import { sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { Frame, type FrameStatus } from "../components/Frame.js";
import { Menu } from "../components/Menu.js";
import { useBindings } from "../hooks/use-keys.js";
import { menuKeys } from "../lib/key-bindings.js";

export type MenuId =
  | "history"
  | "troubleshoot"
  | "users"
  | "grouping"
  | "security"
  | "sessions"
  | "password"
  | "logout";

export interface MenuScreenProps {
  status?: FrameStatus | null;
  onChoose(id: MenuId): void;
}

export function MenuScreen({ status, onChoose }: MenuScreenProps) {
  const { m } = useUi();
  const { login } = useSession();
  const items: { id: MenuId; label: string }[] = [
    { id: "history", label: m.menuHistory },
    { id: "troubleshoot", label: m.menuTroubleshoot },
    { id: "users", label: m.menuUsers },
    { id: "grouping", label: m.menuGrouping },
    { id: "security", label: m.menuSecurity },
    { id: "sessions", label: m.menuSessions },
    { id: "password", label: m.menuChangePassword },
    { id: "logout", label: m.menuLogout },
  ];
  const [selected, setSelected] = useState(0);
  const keys = useBindings(menuKeys.menu, {
    move: (_input, key) =>
      key.upArrow
        ? setSelected((s) => (s + items.length - 1) % items.length)
        : setSelected((s) => (s + 1) % items.length),
    open: () => {
      const item = items[selected];
      if (item) onChoose(item.id);
    },
    choose: (input) => {
      const item = items[Number(input) - 1];
      if (item) onChoose(item.id);
    },
  });
  return (
    <Frame title={m.menuIntro} context={sessionContext(m, login)} status={status} keys={keys}>
      <Box flexDirection="column" paddingX={1}>
        <Text>{m.welcome(login.admin.login)}</Text>
        <Text>
          {m.contractId}: {login.contract.code} ({login.contract.name})
        </Text>
        <Text> </Text>
        <Menu items={items} selected={selected} />
      </Box>
    </Frame>
  );
}
