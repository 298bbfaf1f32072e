/**
 * Troubleshoot: the four steps of the troubleshooting path (docs/domain.md) on one screen. The admin
 * types what the person reported (user name, viewer or client, about when); the screen shows the
 * attempts within ±30 minutes with the reason, the explanation and the response, and applies the fix
 * with one key and a confirmation (or opens the user's edit screen when the fix needs input, such as
 * a new password). State and keys in hooks/use-troubleshoot.ts, drawing in TroubleshootView.
 */
import { TroubleshootView } from "../components/TroubleshootView.js";
import { type TroubleshootOptions, useTroubleshoot } from "../hooks/use-troubleshoot.js";

export type TroubleshootScreenProps = TroubleshootOptions;

export function TroubleshootScreen(props: TroubleshootScreenProps) {
  return <TroubleshootView {...useTroubleshoot(props)} />;
}
