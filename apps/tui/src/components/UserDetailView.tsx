/**
 * One user as user management shows it (docs/domain.md, "User management"): relay server, user name,
 * user type, program permissions, terminal-auth info per slot, IP and MAC address restrictions,
 * mobile-viewer password saving, memo, and the lock state. On a neo contract also the device settings:
 * the devices registered per slot, the device limit, and whether new devices may register.
 */
import type { Model } from "@tsunagi/core";
import { Box, Text } from "ink";
import type { SlotState, UserDetail } from "../api/types.js";
import { useUi } from "../app/ui-context.js";
import { type Messages, productLabel, userTypeLabel } from "../i18n/index.js";
import { fit } from "../lib/text.js";
import { formatTime } from "../lib/time.js";

export function slotText(m: Messages, slot: SlotState, willInitialise = false): string {
  if (!slot.applicable) return m.notApplicable;
  switch (slot.state) {
    case "registered":
      return willInitialise ? m.willBeInitialised : m.registered;
    case "unregistered":
      return m.unregistered;
    case "unregistered-initialised":
      return m.unregisteredInitialised;
  }
}

export const allowText = (m: Messages, list: string[] | null) =>
  list ? m.allowListed(list.join(", ")) : m.allowAll;

export function UserDetailView({ user, model }: { user: UserDetail; model: Model }) {
  const { m, lang, timeZone } = useUi();
  const p = user.permissions;
  const line = (label: string, value: string, sub = "") => (
    <Text wrap="truncate">
      {fit(label, 29)} {fit(sub, 17)} {value}
    </Text>
  );
  const viewer = p.viewerProduct
    ? `${productLabel(lang, p.viewerProduct)} ${p.viewerUsable ? m.usable : m.notUsable}`
    : m.notUsable;
  const neo = model === "neo";
  // A neo slot holds up to the user's device limit: its line adds how many devices the API reports.
  const slotLine = (slot: SlotState) =>
    neo && (slot.applicable || slot.devices.length > 0)
      ? `${slotText(m, slot)} · ${m.deviceCount(slot.devices.length)}`
      : slotText(m, slot);
  const edition = `${p.edition === "plus" ? m.editionPlus : m.editionStandard}${p.allowNonPlusConcurrentUse ? ` · ${m.allowNonPlus}` : ""}`;
  return (
    <Box flexDirection="column" paddingX={1}>
      {line(m.relayServer, user.serverHost)}
      {line(m.userName, user.userName)}
      {line(m.userType, userTypeLabel(m, user.userType))}
      {line(m.permissions, viewer, m.viewer)}
      {line("", p.mobileConcurrentUse ? m.allowed : m.notAllowed, m.slotMobile)}
      {line("", edition, m.edition)}
      {line("", p.clientUsable ? m.usable : m.notUsable, m.client)}
      {line(m.terminalAuth, slotLine(user.slots.pc), m.slotPc)}
      {line("", slotLine(user.slots.mobile), m.slotMobile)}
      {neo
        ? line(
            m.deviceLimit,
            user.neo.deviceLimit === null ? m.contractDefault : String(user.neo.deviceLimit),
          )
        : null}
      {neo
        ? line(m.registration, user.neo.registrationOpen ? m.registrationOpen : m.registrationClosed)
        : null}
      {line(m.ipRestriction, allowText(m, user.restrictions.ipAllow.viewer), m.viewer)}
      {line("", allowText(m, user.restrictions.ipAllow.client), m.client)}
      {line(m.macRestriction, allowText(m, user.restrictions.macAllow.viewer), m.viewer)}
      {line("", allowText(m, user.restrictions.macAllow.client), m.client)}
      {line(
        m.passwordSaving,
        user.passwordSaving.mayStoreLoginPassword ? m.allowed : m.notAllowed,
        m.loginPasswordShort,
      )}
      {line(
        "",
        user.passwordSaving.mayStoreOsLogonPassword ? m.allowed : m.notAllowed,
        m.osLogonPasswordShort,
      )}
      {line(m.memo, user.memo || "-")}
      {user.lockout.locked
        ? line(
            m.locked,
            user.lockout.lockedUntil
              ? m.lockedUntil(formatTime(user.lockout.lockedUntil, timeZone))
              : m.locked,
          )
        : null}
    </Box>
  );
}
