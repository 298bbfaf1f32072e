/** Login container: owns the form state, calls POST /sessions, reports the session upwards. */
import { useState } from "react";
import type { AdminApiPort } from "../api/client.js";
import type { LoginResponse } from "../api/types.js";
import { describeFailure } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { Frame } from "../components/Frame.js";
import { type LoginField, LoginForm } from "../components/LoginForm.js";
import { editText, useBindings } from "../hooks/use-keys.js";
import { loginKeys } from "../lib/key-bindings.js";

const order: LoginField[] = ["server", "login", "password"];

export interface LoginScreenProps {
  api: AdminApiPort;
  prefill?: { server?: string | undefined; login?: string | undefined } | undefined;
  demoHint?: string | undefined;
  notice?: string | undefined;
  onLoggedIn(login: LoginResponse, api: AdminApiPort): void;
}

export function LoginScreen({ api, prefill, demoHint, notice, onLoggedIn }: LoginScreenProps) {
  const { m } = useUi();
  const [values, setValues] = useState({
    server: prefill?.server ?? "",
    login: prefill?.login ?? "",
    password: "",
  });
  // Start where there is something to type: a prefilled server and account leave only the password.
  const [focus, setFocus] = useState<LoginField>(
    !values.server ? "server" : !values.login ? "login" : "password",
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(notice);

  async function submit() {
    const missing = order.find((f) => !values[f].trim());
    if (missing) {
      setFocus(missing);
      setError(
        m.fieldRequired(missing === "server" ? m.server : missing === "login" ? m.adminAccount : m.password),
      );
      return;
    }
    setBusy(true);
    setError(undefined);
    const res = await api.login({
      server: values.server.trim().toLowerCase(),
      login: values.login.trim(),
      password: values.password,
    });
    setBusy(false);
    if (res.ok) onLoggedIn(res.value, api.withToken(res.value.token));
    else {
      setError(describeFailure(m, api.baseUrl, res.error));
      setValues((v) => ({ ...v, password: "" }));
      setFocus("password");
    }
  }

  const i = order.indexOf(focus);
  const keys = useBindings(
    loginKeys.form,
    {
      nextField: (_input, key) =>
        setFocus(order[(i + (key.shift ? order.length - 1 : 1)) % order.length] ?? "server"),
      prevField: () => setFocus(order[(i + order.length - 1) % order.length] ?? "server"),
      // Enter moves on to the next field, and logs in from the password.
      submit: () => (focus === "password" ? void submit() : setFocus(order[i + 1] ?? "password")),
    },
    (input, key) =>
      setValues((v) => ({
        ...v,
        [focus]: editText(v[focus], input, key, focus === "password" ? 1024 : 128),
      })),
    { paused: busy },
  );

  return (
    <Frame title={m.loginTitle} keys={keys}>
      <LoginForm {...values} focus={focus} busy={busy} error={error} hint={demoHint} />
    </Frame>
  );
}
