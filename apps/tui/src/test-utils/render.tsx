/**
 * Renders the TUI for tests: ink-testing-library with the providers (language, colour, size, time
 * zone, a fake clock, an in-memory config), an msw-backed admin API, and helpers that press keys
 * inside act() and wait for text to appear.
 */
import { stripVTControlCharacters } from "node:util";
import {
  createAdminHandlers,
  createMswState,
  MSW_ADMIN_API,
  type MswState,
  type MswStateOptions,
} from "@tsunagi/fixtures/msw";
import { render as inkRender } from "ink-testing-library";
import { setupServer } from "msw/node";
import { act, type ReactElement } from "react";
import { afterAll, afterEach, beforeAll } from "vitest";
import { createHttpPort } from "../api/client.js";
import { App } from "../app/App.js";
import { type Session, SessionProvider } from "../app/session.js";
import { UiProvider } from "../app/ui-context.js";
import { type ConfigStore, memoryConfigStore } from "../lib/config.js";

export const keys = {
  up: "\x1b[A",
  down: "\x1b[B",
  right: "\x1b[C",
  left: "\x1b[D",
  enter: "\r",
  escape: "\x1b",
  tab: "\t",
  backspace: "\x7f",
  f2: "\x1bOQ",
  space: " ",
  pageUp: "\x1b[5~",
  pageDown: "\x1b[6~",
} as const;

/** One msw server per test file, reset between tests; unhandled requests fail the test. */
export const server = setupServer();
export function useMswServer(): void {
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => server.resetHandlers());
  afterAll(() => server.close());
}

/** Fresh demo state for one test, served by the msw server. */
export function serveDemo(options: MswStateOptions = {}): MswState {
  const { handlers, state } = createAdminHandlers({ state: createMswState(options) });
  server.use(...handlers);
  return state;
}

export interface RenderOptions {
  columns?: number;
  rows?: number;
  noColor?: boolean;
  config?: ConfigStore;
  /** The zone the UI is fixed to (Asia/Tokyo); null leaves it to the contract, as the real TUI does. */
  timeZone?: string | null;
  /** "Now" for the screens (troubleshoot's "today"): the demo's day by default. */
  now?: Date;
}

export const DEMO_NOW = new Date("2026-11-16T10:00:00+09:00");

export interface RenderedTui {
  stdin: { write(data: string): void };
  unmount(): void;
  config: ConfigStore;
  /** The last frame as written, colour escapes included. */
  raw(): string;
  /** The last frame as the admin reads it. */
  frame(): string;
  resize(columns: number, rows: number): Promise<void>;
  press(...inputs: string[]): Promise<void>;
  type(text: string): Promise<void>;
  waitUntil(check: (frame: string) => boolean, timeoutMs?: number): Promise<string>;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
}

export async function renderTui(ui: ReactElement, options: RenderOptions = {}): Promise<RenderedTui> {
  const config = options.config ?? memoryConfigStore();
  const now = options.now ?? DEMO_NOW;
  let result!: ReturnType<typeof inkRender>;
  await act(async () => {
    result = inkRender(
      <UiProvider
        config={config}
        noColor={options.noColor ?? false}
        {...(options.timeZone === null ? {} : { timeZone: options.timeZone ?? "Asia/Tokyo" })}
        now={() => now}
      >
        {ui}
      </UiProvider>,
    );
  });
  // ink-testing-library's stdout is 100 columns and has no rows; give it the size under test.
  const stdout = result.stdout as unknown as NodeJS.EventEmitter & { columns: number; rows: number };
  const resize = async (columns: number, rows: number) => {
    Object.defineProperty(stdout, "columns", { value: columns, configurable: true });
    Object.defineProperty(stdout, "rows", { value: rows, configurable: true });
    await act(async () => {
      stdout.emit("resize");
    });
  };
  await resize(options.columns ?? 80, options.rows ?? 24);

  const raw = () => result.lastFrame() ?? "";
  const frame = () => stripVTControlCharacters(raw());
  return {
    stdin: result.stdin,
    unmount: result.unmount,
    config,
    raw,
    frame,
    resize,
    /** Presses keys (each string is one key press, or a paste) inside act(). */
    async press(...inputs: string[]) {
      for (const input of inputs) {
        await act(async () => {
          result.stdin.write(input);
        });
      }
    },
    /** Types text one character at a time, as a person would. */
    async type(text: string) {
      for (const ch of text) {
        await act(async () => {
          result.stdin.write(ch);
        });
      }
    },
    /** Waits (inside act) until `check(frame)` holds. */
    async waitUntil(check: (frame: string) => boolean, timeoutMs = 3000) {
      const start = Date.now();
      while (!check(frame())) {
        if (Date.now() - start > timeoutMs) throw new Error(`Timed out waiting in:\n${frame()}`);
        await act(async () => {
          await new Promise((r) => setTimeout(r, 10));
        });
      }
      return frame();
    },
    /** Waits (inside act) until the frame contains `text`; fails with the frame if it never does. */
    async waitFor(text: string | RegExp, timeoutMs = 3000) {
      const start = Date.now();
      for (;;) {
        const f = frame();
        if (typeof text === "string" ? f.includes(text) : text.test(f)) return f;
        if (Date.now() - start > timeoutMs)
          throw new Error(`Timed out waiting for ${String(text)} in:\n${f}`);
        await act(async () => {
          await new Promise((r) => setTimeout(r, 10));
        });
      }
    },
  };
}

/** The whole app against the msw demo, at the login screen. */
export function renderApp(
  options: RenderOptions & {
    prefill?: { server?: string; login?: string };
    demoHint?: string;
    apiUrl?: string;
  } = {},
): Promise<RenderedTui> {
  const api = createHttpPort(options.apiUrl ?? MSW_ADMIN_API);
  return renderTui(<App api={api} prefill={options.prefill} demoHint={options.demoHint} />, options);
}

/**
 * Renders the app and logs in as the demo admin (temporary password already changed unless asked):
 * asp1's `account.admin`, or with `contract: "neo"` the neo contract's `neo.admin` (serve the state
 * with `serveDemo({ contract: "neo" })`).
 */
export async function loggedIn(
  options: RenderOptions & { contract?: "asp1" | "neo" } = {},
): Promise<RenderedTui> {
  const { contract, ...rest } = options;
  const who =
    contract === "neo" ? { server: "neo1", login: "neo.admin" } : { server: "asp1", login: "account.admin" };
  const t = await renderApp({ ...rest, prefill: who });
  await t.waitFor(/Password|パスワード/);
  await t.type("demo-temp-1234");
  await t.press(keys.enter);
  const login = who.login.replaceAll(".", "\\.");
  await t.waitFor(new RegExp(`Welcome, ${login}\\.|ようこそ ${login} さん。`));
  return t;
}

/** Logs in as the demo admin (see loggedIn), opens menu item `n` and waits until each of `ready` shows. */
export async function openMenuItem(
  n: number,
  ready: (string | RegExp)[],
  options: Parameters<typeof loggedIn>[0] = {},
): Promise<RenderedTui> {
  const t = await loggedIn(options);
  await t.press(String(n));
  for (const text of ready) await t.waitFor(text);
  return t;
}

/**
 * Renders `ui` (a screen's hook in a small harness) inside a session of the demo admin, logged in
 * through the API as the login screen would: asp1's `account.admin`, or neo1's `neo.admin`.
 */
export async function renderInSession(
  ui: ReactElement,
  options: RenderOptions & { contract?: "asp1" | "neo" } = {},
): Promise<RenderedTui & { session: Session }> {
  const { contract, ...rest } = options;
  const api = createHttpPort(MSW_ADMIN_API);
  const who =
    contract === "neo" ? { server: "neo1", login: "neo.admin" } : { server: "asp1", login: "account.admin" };
  const res = await api.login({ ...who, password: "demo-temp-1234" });
  if (!res.ok) throw new Error(`demo login failed: ${res.error.message}`);
  const session: Session = { api: api.withToken(res.value.token), login: res.value, logout: () => {} };
  const t = await renderTui(<SessionProvider session={session}>{ui}</SessionProvider>, rest);
  return { ...t, session };
}

/**
 * Renders a screen's hook in a component that draws nothing of its own, inside a demo session (see
 * renderInSession); `result.current` is what the hook answered at the last render.
 */
export async function renderHook<T>(
  useHook: () => T,
  options: RenderOptions & { contract?: "asp1" | "neo" } = {},
): Promise<RenderedTui & { session: Session; result: { readonly current: T } }> {
  const box: { current?: T } = {};
  function Harness() {
    box.current = useHook();
    return null;
  }
  const t = await renderInSession(<Harness />, options);
  return {
    ...t,
    result: {
      get current(): T {
        return box.current as T;
      },
    },
  };
}
