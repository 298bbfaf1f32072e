/** The relay's environment, parsed once: the only place the relay reads process.env. */
import { z } from "zod";

const list = z
  .string()
  .optional()
  .transform((text) =>
    (text ?? "")
      .split(",")
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0),
  );

const seconds = z.coerce.number().positive().optional();

export const RelayEnv = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65_535).default(8443),
    HOST: z.string().min(1).default("127.0.0.1"),
    /** An external PostgreSQL; without it the embedded server in TSUNAGI_DATA_DIR is used. */
    DATABASE_URL: z.string().url().optional(),
    TSUNAGI_DATA_DIR: z.string().min(1).optional(),
    /** PEM files: give both and the relay serves wss:// itself. */
    TSUNAGI_TLS_CERT: z.string().min(1).optional(),
    TSUNAGI_TLS_KEY: z.string().min(1).optional(),
    /** Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed. */
    TSUNAGI_TRUSTED_PROXIES: list,
    TSUNAGI_STALE_AFTER_SECONDS: seconds,
    TSUNAGI_HEARTBEAT_SECONDS: seconds,
    /** Channels open at once per viewer and per client connection (256). */
    TSUNAGI_MAX_CHANNELS: z.coerce.number().int().min(1).max(65_536).optional(),
    LOG_LEVEL: z.enum(["debug", "info", "silent"]).default("info"),
  })
  .refine((env) => (env.TSUNAGI_TLS_CERT === undefined) === (env.TSUNAGI_TLS_KEY === undefined), {
    message: "TSUNAGI_TLS_CERT and TSUNAGI_TLS_KEY go together",
  });
export type RelayEnv = z.infer<typeof RelayEnv>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): RelayEnv {
  const parsed = RelayEnv.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".") || "env"}: ${issue.message}`);
    throw new Error(`Invalid relay environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
