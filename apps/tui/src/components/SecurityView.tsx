/** Security as drawn: the settings form with each refusal under its field, or the confirmation (state in use-security.ts). */
import { Box, Text } from "ink";
import { sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import type { SecurityField, SecurityState } from "../hooks/use-security.js";
import { ConfirmDialog } from "./ConfirmDialog.js";
import { Frame } from "./Frame.js";
import { TextField } from "./TextField.js";

export function SecurityView({ form, focus, confirming, status, fieldError, keys }: SecurityState) {
  const { m, color } = useUi();
  const { login } = useSession();
  const errorOf = (field: SecurityField) => (fieldError?.field === field ? fieldError.text : undefined);
  return (
    <Frame title={m.securityTitle} context={sessionContext(m, login)} status={status} keys={keys}>
      <Box flexDirection="column" paddingX={1}>
        {!form ? (
          <Text>{m.loading}</Text>
        ) : confirming ? (
          <ConfirmDialog question={m.confirmCommit} />
        ) : (
          <>
            <TextField
              label={m.adminAllowList}
              value={form.allow}
              focused={focus === "allow"}
              labelWidth={32}
              hint={m.allowListHint}
              error={errorOf("allow")}
            />
            <TextField
              label={m.lockoutThreshold}
              value={form.threshold}
              focused={focus === "threshold"}
              labelWidth={32}
              error={errorOf("threshold")}
            />
            <TextField
              label={m.lockoutDuration}
              value={form.duration}
              focused={focus === "duration"}
              labelWidth={32}
              error={errorOf("duration")}
            />
            <TextField
              label={m.idleTimeout}
              value={form.idle}
              focused={focus === "idle"}
              labelWidth={32}
              error={errorOf("idle")}
            />
            <Text color={color("muted")}> </Text>
          </>
        )}
      </Box>
    </Frame>
  );
}
