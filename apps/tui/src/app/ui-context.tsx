/**
 * What every screen reads besides its data: the language and its strings, colour on or off, the
 * terminal size, the admin's time zone and clock. One provider, so tests set all of it in one place.
 */
import type { Lang } from "@tsunagi/core";
import { useStdout } from "ink";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { type Messages, messages } from "../i18n/index.js";
import type { ConfigStore } from "../lib/config.js";

export interface Size {
  columns: number;
  rows: number;
}

export interface Ui {
  lang: Lang;
  m: Messages;
  toggleLang(): void;
  noColor: boolean;
  size: Size;
  timeZone: string;
  /** Whether the zone was given (a flag, a test) rather than taken from the terminal. */
  timeZoneFixed: boolean;
  now(): Date;
  /** A colour name, or undefined under NO_COLOR so Ink writes no colour escape at all. */
  color(name: "accent" | "error" | "success" | "warn" | "muted"): string | undefined;
}

const UiContext = createContext<Ui | null>(null);

const palette = { accent: "cyan", error: "red", success: "green", warn: "yellow", muted: "gray" } as const;

/** The terminal's size, following resizes; never below 80×24, the size the layout is drawn for. */
function useTerminalSize(): Size {
  const { stdout } = useStdout();
  const read = useCallback(
    (): Size => ({ columns: Math.max(80, stdout.columns || 80), rows: Math.max(24, stdout.rows || 24) }),
    [stdout],
  );
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on("resize", onResize);
    return () => {
      stdout.off("resize", onResize);
    };
  }, [stdout, read]);
  return size;
}

export interface UiProviderProps {
  config: ConfigStore;
  noColor: boolean;
  timeZone?: string;
  now?: () => Date;
  children: ReactNode;
}

export function UiProvider({ config, noColor, timeZone, now, children }: UiProviderProps) {
  const [lang, setLang] = useState<Lang>(() => config.load().lang);
  const size = useTerminalSize();
  const toggleLang = useCallback(() => {
    setLang((current) => {
      const next = current === "en" ? "ja" : "en";
      config.save({ ...config.load(), lang: next });
      return next;
    });
  }, [config]);
  const value = useMemo<Ui>(
    () => ({
      lang,
      m: messages[lang],
      toggleLang,
      noColor,
      size,
      timeZone: timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
      timeZoneFixed: timeZone !== undefined,
      now: now ?? (() => new Date()),
      color: (name) => (noColor ? undefined : palette[name]),
    }),
    [lang, toggleLang, noColor, size, timeZone, now],
  );
  return <UiContext.Provider value={value}>{children}</UiContext.Provider>;
}

/**
 * Times inside a contract read in the contract's zone (the service's people read the history in it,
 * and its CSV is written in it), unless the zone was fixed by a flag.
 */
export function ContractTimeZone({ zone, children }: { zone: string; children: ReactNode }) {
  const ui = useUi();
  const value = useMemo(() => (ui.timeZoneFixed ? ui : { ...ui, timeZone: zone }), [ui, zone]);
  return <UiContext.Provider value={value}>{children}</UiContext.Provider>;
}

export function useUi(): Ui {
  const ui = useContext(UiContext);
  if (!ui) throw new Error("useUi outside UiProvider");
  return ui;
}
