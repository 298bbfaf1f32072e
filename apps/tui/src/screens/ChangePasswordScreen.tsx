/**
 * Change-password container. `forced` is the first screen after a login with the temporary password
 * from the account sheet: no menu, no way round it but logging out.
 */
import { useState } from "react";
import { describeFailure, sessionContext, useSession } from "../app/session.js";
import { useUi } from "../app/ui-context.js";
import { ChangePasswordForm, type PasswordField } from "../components/ChangePasswordForm.js";
import { Frame, type FrameStatus } from "../components/Frame.js";
import { editText, useBindings } from "../hooks/use-keys.js";
import { changePasswordKeys } from "../lib/key-bindings.js";

const order: PasswordField[] = ["current", "next", "again"];

export interface ChangePasswordScreenProps {
  forced: boolean;
  onDone(): void;
  onBack(): void;
}

export function ChangePasswordScreen({ forced, onDone, onBack }: ChangePasswordScreenProps) {
  const { m } = useUi();
  const { api, login, logout } = useSession();
  const [values, setValues] = useState({ current: "", next: "", again: "" });
  const [focus, setFocus] = useState<PasswordField>("current");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [status, setStatus] = useState<FrameStatus | null>(null);

  async function submit() {
    if ([...values.next].length < 12) return setError(m.passwordTooShort);
    if (values.next !== values.again) return setError(m.passwordsDiffer);
    setBusy(true);
    setError(undefined);
    const res = await api.changePassword({ currentPassword: values.current, newPassword: values.next });
    setBusy(false);
    if (res.ok) {
      setValues({ current: "", next: "", again: "" });
      setStatus({ kind: "success", text: m.passwordChanged });
      onDone();
    } else setError(describeFailure(m, api.baseUrl, res.error));
  }

  const i = order.indexOf(focus);
  const keys = useBindings(
    forced ? changePasswordKeys.forced : changePasswordKeys.form,
    {
      nextField: () => setFocus(order[(i + 1) % order.length] ?? "current"),
      prevField: () => setFocus(order[(i + order.length - 1) % order.length] ?? "current"),
      // Enter moves on to the next field, and submits from the last.
      submit: () => (focus === "again" ? void submit() : setFocus(order[i + 1] ?? "again")),
      ...(forced ? { logout: () => logout() } : { back: onBack }),
    },
    (input, key) => setValues((v) => ({ ...v, [focus]: editText(v[focus], input, key, 256) })),
    { paused: busy },
  );

  return (
    <Frame title={m.changePasswordTitle} context={sessionContext(m, login)} status={status} keys={keys}>
      <ChangePasswordForm {...values} focus={focus} forced={forced} busy={busy} error={error} />
    </Frame>
  );
}
