/**
 * Active sessions (ours): the viewers and clients connected now, and a disconnect after the
 * confirmation. A disconnect is a request: the relay closes the session shortly after, so the row
 * stays, marked, until a refresh no longer lists it.
 */
import { ActiveSessionsView } from "../components/ActiveSessionsView.js";
import { useActiveSessions } from "../hooks/use-active-sessions.js";

/** State and keys in hooks/use-active-sessions.ts, drawing in ActiveSessionsView. */
export function ActiveSessionsScreen({ onBack }: { onBack(): void }) {
  return <ActiveSessionsView {...useActiveSessions({ onBack })} />;
}
