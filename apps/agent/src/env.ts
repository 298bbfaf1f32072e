/** The agents' environment, parsed once: the only place the agent reads process.env. */
import { z } from "zod";

export const AgentEnv = z.object({
  /** The login password, for scripts and services; a prompt or --password-file otherwise. */
  TSUNAGI_PASSWORD: z.string().optional(),
  /** Where the device identity lives; the user's config directory otherwise. */
  TSUNAGI_CONFIG_DIR: z.string().min(1).optional(),
  XDG_CONFIG_HOME: z.string().min(1).optional(),
  APPDATA: z.string().min(1).optional(),
});
export type AgentEnv = z.infer<typeof AgentEnv>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): AgentEnv {
  return AgentEnv.parse(source);
}
