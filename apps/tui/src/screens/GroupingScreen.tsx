/**
 * Grouping (グループ化): viewer → clients (1:N) or client → viewers (N:1), with links added and removed.
 * Every link is a viewer–client pair; the two views are the same links seen from either end.
 */
import { GroupingView } from "../components/GroupingView.js";
import { useGrouping } from "../hooks/use-grouping.js";

/** State and keys in hooks/use-grouping.ts, drawing in GroupingView. */
export function GroupingScreen({ onBack }: { onBack(): void }) {
  return <GroupingView {...useGrouping({ onBack })} />;
}
