/**
 * The login form (docs/domain.md, "Admin accounts and security settings"): server host part, admin
 * account, password (masked).
 */
import { Box, Text } from "ink";
import { useUi } from "../app/ui-context.js";
import { TextField } from "./TextField.js";

export type LoginField = "server" | "login" | "password";

export interface LoginFormProps {
  server: string;
  login: string;
  password: string;
  focus: LoginField;
  busy: boolean;
  error?: string | undefined;
  /** Shown under the form, e.g. the demo credentials `pnpm start` seeded. */
  hint?: string | undefined;
}

export function LoginForm({ server, login, password, focus, busy, error, hint }: LoginFormProps) {
  const { m, color } = useUi();
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>{m.loginTitle}</Text>
      <Text wrap="wrap">{m.loginIntro}</Text>
      <Text> </Text>
      <TextField label={m.server} value={server} focused={focus === "server"} hint={m.serverHint} />
      <TextField label={m.adminAccount} value={login} focused={focus === "login"} />
      <TextField label={m.password} value={password} focused={focus === "password"} masked />
      <Text> </Text>
      {busy ? <Text color={color("accent")}>{m.loggingIn}</Text> : null}
      {error ? (
        <Text color={color("error")} wrap="wrap">
          {error}
        </Text>
      ) : null}
      {hint ? (
        <Box marginTop={1} flexDirection="column">
          <Text color={color("muted")}>{m.demoCredentials}</Text>
          <Text wrap="wrap">{hint}</Text>
        </Box>
      ) : null}
    </Box>
  );
}
