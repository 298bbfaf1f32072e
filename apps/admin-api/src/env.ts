/** The admin API's environment, read and checked in this one place. */
import { parseCidr } from "@tsunagi/core";
import { z } from "zod";

/** Comma-separated addresses or CIDR ranges, each checked, so a typo stops start-up naming it. */
const cidrList = z
  .string()
  .optional()
  .transform((text, ctx) => {
    const entries = (text ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0);
    for (const entry of entries) {
      const parsed = parseCidr(entry);
      if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
    }
    return entries;
  });

/** What configures the admin API wherever it runs: its own process or the platform launcher. */
const settings = {
  /**
   * Reverse proxies whose X-Forwarded-For is believed (read from the right), the same variable the
   * relay reads; see AdminApiConfig.trustedProxies. Unset: the socket's peer is the client.
   */
  TSUNAGI_TRUSTED_PROXIES: cidrList,
  /** Addresses or CIDR ranges that may read GET /metrics; unset: this host (127.0.0.0/8, ::1/128). */
  TSUNAGI_METRICS_ALLOWED: cidrList,
};

const SettingsEnv = z.object(settings);
export type SettingsEnv = z.infer<typeof SettingsEnv>;

/** The admin API's own process and `tsunagi-ops`: where it listens (start.ts has the defaults), its database. */
const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  HOST: z.string().min(1).optional(),
  /** An external PostgreSQL; unset: the embedded one in TSUNAGI_DATA_DIR (what `pnpm start` uses). */
  DATABASE_URL: z.string().url().optional(),
  TSUNAGI_DATA_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ...settings,
  /** The domain after the host part on account sheets: asp1 → asp1.<domain>. */
  TSUNAGI_SERVER_DOMAIN: z.string().min(1).default("tsunagi.example"),
});
export type Env = z.infer<typeof Env>;

function parse<T>(schema: z.ZodType<T>, source: Record<string, string | undefined>): T {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ""));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`environment: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}

/** Parses `source` (process.env by default); a bad value stops start-up naming the variable. */
export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  return parse(Env, source);
}

/** Only the admin API's settings, for a process that starts it among other things. */
export function readSettingsEnv(source: Record<string, string | undefined> = process.env): SettingsEnv {
  return parse(SettingsEnv, source);
}
