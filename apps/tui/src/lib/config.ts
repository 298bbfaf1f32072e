/**
 * The TUI's remembered preferences (the language, the last server and account) in a small JSON file
 * under the user's config directory. A missing or unreadable file means defaults: preferences must
 * never stop an admin from logging in.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Lang } from "@tsunagi/core";
import { z } from "zod";

// Core's Lang restated, so the login screen doesn't load the reason catalogue to read a preference.
const langs = ["en", "ja"] as const satisfies readonly Lang[];
/** Compiles only while every Lang is in `langs`: the two stay the same set. */
const _everyLang = (lang: Lang): (typeof langs)[number] => lang;
const ConfigLang = z.enum(langs);

export const TuiConfig = z.object({
  lang: ConfigLang.catch("en").default("en"),
  lastServer: z.string().optional().catch(undefined),
  lastLogin: z.string().optional().catch(undefined),
});
export type TuiConfig = z.infer<typeof TuiConfig>;

export interface ConfigStore {
  load(): TuiConfig;
  save(config: TuiConfig): void;
}

export function fileConfigStore(path: string): ConfigStore {
  return {
    load() {
      try {
        return TuiConfig.parse(JSON.parse(readFileSync(path, "utf8")));
      } catch {
        return TuiConfig.parse({});
      }
    },
    save(config) {
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
      } catch {
        // A read-only home directory loses the preference, not the session.
      }
    },
  };
}

/** For tests and the benchmark: remembers in memory only. */
export function memoryConfigStore(initial: Partial<TuiConfig> = {}): ConfigStore & { current: TuiConfig } {
  const store = {
    current: TuiConfig.parse(initial),
    load: () => store.current,
    save: (config: TuiConfig) => {
      store.current = config;
    },
  };
  return store;
}
