/**
 * Access history: the filters (with the extended display), the paged table, a row's details with its
 * fix one key away, and the CSV export of the current filter in the language, encoding and extended
 * display the admin picks. State and keys in hooks/use-history-screen.ts, drawing in HistoryView.
 */
import { HistoryView } from "../components/HistoryView.js";
import { type HistoryScreenOptions, useHistoryScreen } from "../hooks/use-history-screen.js";

export type HistoryScreenProps = HistoryScreenOptions;

export function HistoryScreen(props: HistoryScreenProps) {
  return <HistoryView {...useHistoryScreen(props)} />;
}
