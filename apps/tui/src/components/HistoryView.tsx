/**
 * The access history as drawn: the filters form, a row's details, or the applied filters over the
 * paged table (or the CSV export form). Takes everything from the screen's hook (use-history-screen.ts).
 */
import { Box, Text } from "ink";
import { sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { HistoryScreenState } from "../hooks/use-history-screen.js";
import { fixText } from "../lib/fix-text.js";
import { Choice } from "./Choice.js";
import { FailureDetails } from "./FailureDetails.js";
import { FRAME_LINES, Frame } from "./Frame.js";
import { HistoryFilters } from "./HistoryFilters.js";
import { HistoryTable } from "./HistoryTable.js";
import { TextField } from "./TextField.js";

export function HistoryView(props: HistoryScreenState) {
  const { mode, filter, draft, focus, filterError, pages, lines, selected, current, target, keys } = props;
  const { csv, csvFocus, langOptions, encodingOptions, csvExtendedOptions, status } = props;
  const ui = useUi();
  const { m, size } = ui;
  const { login } = useSession();
  const pageLabel = `${m.page(pages.index + 1)} · ${pages.hasNext ? m.morePages : m.lastPage}`;
  const bodyHeight = size.rows - FRAME_LINES - 2;

  return (
    <Frame title={m.historyTitle} context={sessionContext(m, login)} status={status} keys={keys}>
      {mode === "filters" ? (
        <HistoryFilters filter={draft} focus={focus} error={filterError} />
      ) : mode === "details" && current ? (
        <FailureDetails row={current} fixLine={target ? `g: ${fixText(m, target)}` : null} />
      ) : (
        <Box flexDirection="column">
          <Box justifyContent="space-between">
            <HistoryFilters filter={filter} focus={null} />
          </Box>
          <Text color={ui.color("muted")}>{pages.loading ? m.loading : pageLabel}</Text>
          {mode === "export" ? (
            <Box flexDirection="column">
              <Text bold>{m.exportTitle}</Text>
              <TextField label={m.exportPath} value={csv.path} focused={csvFocus === "path"} />
              <Choice
                label={m.csvLang}
                options={langOptions}
                value={csv.lang}
                focused={csvFocus === "lang"}
              />
              <Choice
                label={m.csvEncoding}
                options={encodingOptions}
                value={csv.encoding}
                focused={csvFocus === "encoding"}
              />
              <Choice
                label={m.extended}
                options={csvExtendedOptions}
                value={csv.extended}
                focused={csvFocus === "extended"}
              />
            </Box>
          ) : lines.length === 0 && !pages.loading ? (
            <Text>{m.noRows}</Text>
          ) : (
            <HistoryTable
              lines={lines}
              selected={selected}
              height={bodyHeight}
              extended={pages.page?.extended ?? null}
            />
          )}
        </Box>
      )}
    </Frame>
  );
}
