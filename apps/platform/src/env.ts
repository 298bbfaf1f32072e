/**
 * The launcher's environment, parsed once: the only module of `apps/platform` that touches
 * `process.env`. The relay's and the admin API's settings are read by their own parsers, so a
 * variable means the same whichever process starts them.
 */
import { readAdminApiSettingsEnv } from "@tsunagi/admin-api/start";
import { readDbEnv } from "@tsunagi/db/server";
import { readRelaySettingsEnv } from "@tsunagi/relay/start";
import { z } from "zod";

const Env = z.object({
  /** The relay's and the admin API's ports, checked with the flags that override them (main.ts). */
  RELAY_PORT: z.string().optional(),
  ADMIN_API_PORT: z.string().optional(),
  /** The admin API's log level; the relay logs every event. */
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export type PlatformEnv = z.infer<typeof Env> & {
  db: ReturnType<typeof readDbEnv>;
  relay: ReturnType<typeof readRelaySettingsEnv>;
  adminApi: ReturnType<typeof readAdminApiSettingsEnv>;
};

/** A bad value throws naming the variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): PlatformEnv {
  const parsed = Env.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${issue?.path.join(".")}: ${issue?.message}`);
  }
  return {
    ...parsed.data,
    db: readDbEnv(source),
    relay: readRelaySettingsEnv(source),
    adminApi: readAdminApiSettingsEnv(source),
  };
}
