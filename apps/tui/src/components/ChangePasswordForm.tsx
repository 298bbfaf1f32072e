/** Change the admin's own password: current, new, new again. */
import { Box, Text } from "ink";
import { useUi } from "../app/ui-context.js";
import { TextField } from "./TextField.js";

export type PasswordField = "current" | "next" | "again";

export interface ChangePasswordFormProps {
  current: string;
  next: string;
  again: string;
  focus: PasswordField;
  forced: boolean;
  busy: boolean;
  error?: string | undefined;
}

export function ChangePasswordForm({
  current,
  next,
  again,
  focus,
  forced,
  busy,
  error,
}: ChangePasswordFormProps) {
  const { m, color } = useUi();
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>{m.changePasswordTitle}</Text>
      {forced ? (
        <Text color={color("warn")} wrap="wrap">
          {m.temporaryPasswordNotice}
        </Text>
      ) : null}
      <Text> </Text>
      <TextField
        label={m.currentPassword}
        value={current}
        focused={focus === "current"}
        masked
        labelWidth={24}
      />
      <TextField label={m.newPassword} value={next} focused={focus === "next"} masked labelWidth={24} />
      <TextField label={m.confirmPassword} value={again} focused={focus === "again"} masked labelWidth={24} />
      <Text> </Text>
      {busy ? <Text color={color("accent")}>{m.saving}</Text> : null}
      {error ? (
        <Text color={color("error")} wrap="wrap">
          {error}
        </Text>
      ) : null}
    </Box>
  );
}
