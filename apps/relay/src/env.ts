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

/** What configures the relay wherever it runs: its own process or the platform launcher. */
const settings = {
  /** PEM files: give both and the relay serves wss:// itself. */
  TSUNAGI_TLS_CERT: z.string().min(1).optional(),
  TSUNAGI_TLS_KEY: z.string().min(1).optional(),
  /** Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed. */
  TSUNAGI_TRUSTED_PROXIES: list,
  /** `1`: the trusted proxies send a PROXY v2 header first (HAProxy's `send-proxy-v2`). */
  TSUNAGI_PROXY_PROTOCOL: z.enum(["0", "1"]).optional(),
  TSUNAGI_STALE_AFTER_SECONDS: seconds,
  TSUNAGI_HEARTBEAT_SECONDS: seconds,
  /** Channels open at once per viewer and per client connection (config.ts has the default). */
  TSUNAGI_MAX_CHANNELS: z.coerce.number().int().min(1).max(65_536).optional(),
  /** Comma-separated addresses or CIDR ranges that may read GET /metrics (config.ts has the default). */
  TSUNAGI_METRICS_ALLOWED: list,
  /** Where other relays of the fleet link to this one: host (HOST's by default), port, and the URL they dial. */
  TSUNAGI_INTERNAL_HOST: z.string().min(1).optional(),
  TSUNAGI_INTERNAL_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  TSUNAGI_INTERNAL_URL: z
    .string()
    .url()
    .refine((url) => /^wss?:\/\//.test(url), "TSUNAGI_INTERNAL_URL must be ws:// or wss://")
    .optional(),
  /** SIGTERM: how long the drain waits for agents with open channels before sending them away. */
  TSUNAGI_DRAIN_SECONDS: seconds,
  /**
   * Seal spliced channels end to end (docs/protocol.md "Sealed channels"): on by default when the
   * relay terminates TLS itself, off otherwise; 0 or 1 overrides.
   */
  TSUNAGI_SEALED_CHANNELS: z.enum(["0", "1"]).optional(),
};

const tlsPair = [
  (env: { TSUNAGI_TLS_CERT?: string | undefined; TSUNAGI_TLS_KEY?: string | undefined }) =>
    (env.TSUNAGI_TLS_CERT === undefined) === (env.TSUNAGI_TLS_KEY === undefined),
  { message: "TSUNAGI_TLS_CERT and TSUNAGI_TLS_KEY go together" },
] as const;

/** A header is read only from a trusted proxy: with none listed, the flag would silently do nothing. */
const proxyProtocolTrusted = [
  (env: { TSUNAGI_PROXY_PROTOCOL?: string | undefined; TSUNAGI_TRUSTED_PROXIES: string[] }) =>
    env.TSUNAGI_PROXY_PROTOCOL !== "1" || env.TSUNAGI_TRUSTED_PROXIES.length > 0,
  { message: "TSUNAGI_PROXY_PROTOCOL=1 needs TSUNAGI_TRUSTED_PROXIES (the proxies that send the header)" },
] as const;

export const RelaySettingsEnv = z
  .object(settings)
  .refine(...tlsPair)
  .refine(...proxyProtocolTrusted);
export type RelaySettingsEnv = z.infer<typeof RelaySettingsEnv>;

/** The relay's own process: the settings, where it listens (start.ts has the defaults), its database. */
export const RelayEnv = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65_535).optional(),
    HOST: z.string().min(1).optional(),
    /** An external PostgreSQL; without it the embedded server in TSUNAGI_DATA_DIR is used. */
    DATABASE_URL: z.string().url().optional(),
    TSUNAGI_DATA_DIR: z.string().min(1).optional(),
    ...settings,
    LOG_LEVEL: z.enum(["debug", "info", "silent"]).default("info"),
  })
  .refine(...tlsPair)
  .refine(...proxyProtocolTrusted);
export type RelayEnv = z.infer<typeof RelayEnv>;

function parse<T>(schema: z.ZodType<T>, source: NodeJS.ProcessEnv): T {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".") || "env"}: ${issue.message}`);
    throw new Error(`Invalid relay environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

export function readEnv(source: NodeJS.ProcessEnv = process.env): RelayEnv {
  return parse(RelayEnv, source);
}

/** Only the relay's settings, for a process that starts the relay among other things. */
export function readSettingsEnv(source: NodeJS.ProcessEnv = process.env): RelaySettingsEnv {
  return parse(RelaySettingsEnv, source);
}
