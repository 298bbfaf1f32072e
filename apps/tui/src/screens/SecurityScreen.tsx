/**
 * Security (ours; docs/domain.md, "Admin accounts and security settings"): admin login allow-list,
 * lockout policy, idle timeout. A setting the API refuses is named under its own field, so the admin
 * sees which one to correct.
 */
import { SecurityView } from "../components/SecurityView.js";
import { useSecurity } from "../hooks/use-security.js";

/** State and keys in hooks/use-security.ts, drawing in SecurityView. */
export function SecurityScreen({ onBack }: { onBack(): void }) {
  return <SecurityView {...useSecurity({ onBack })} />;
}
