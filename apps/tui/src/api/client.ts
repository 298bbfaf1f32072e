/**
 * The admin API as the TUI's containers use it: one method per thing an account manager does, each
 * answering a `Result` instead of throwing, because a wrong password or an unreachable server is an
 * expected outcome that the screen shows. Built on `hono/client` typed by the API's routes: the
 * project's one typed client. Only types come from @tsunagi/admin-api and @tsunagi/api-contract, so
 * neither the server nor the schemas are loaded at start-up.
 */
import { hc } from "hono/client";
import type {
  ActiveSession,
  ActiveSessionsResponse,
  AdminApi,
  BatchPatchResponse,
  ChangePasswordBody,
  ErrorCode,
  GroupChangeResponse,
  GroupLink,
  GroupsResponse,
  HistoryCsvQueryInput,
  HistoryPage,
  HistoryQueryInput,
  LoginBody,
  LoginResponse,
  SecurityPatchBody,
  SecuritySettings,
  UserChange,
  UserDetail,
  UsersPage,
} from "./types.js";

export type ApiFailure =
  | { kind: "unreachable"; message: string }
  | {
      kind: "api";
      status: number;
      code: ErrorCode | "unknown";
      message: string;
      field?: string;
      /** From Retry-After on a 429 or 503: when asking again may succeed. */
      retryAfterSeconds?: number;
    };

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiFailure };

export interface AdminApiPort {
  readonly baseUrl: string;
  login(body: LoginBody): Promise<Result<LoginResponse>>;
  /** A port that sends the session token on every call. */
  withToken(token: string): AdminApiPort;
  logout(): Promise<Result<null>>;
  changePassword(body: ChangePasswordBody): Promise<Result<null>>;
  history(query: HistoryQueryInput): Promise<Result<HistoryPage>>;
  /** The CSV file's bytes as the API encoded them (UTF-8 with BOM, or Shift_JIS). */
  historyCsv(query: HistoryCsvQueryInput): Promise<Result<Uint8Array>>;
  users(q: string, cursor?: string): Promise<Result<UsersPage>>;
  user(userName: string): Promise<Result<UserDetail>>;
  patchUser(userName: string, version: number, change: UserChange): Promise<Result<UserDetail>>;
  batchPatch(
    items: (UserChange & { userName: string; version: number })[],
  ): Promise<Result<BatchPatchResponse>>;
  groups(): Promise<Result<GroupsResponse>>;
  addLinks(links: GroupLink[]): Promise<Result<GroupChangeResponse>>;
  removeLinks(links: GroupLink[]): Promise<Result<GroupChangeResponse>>;
  security(): Promise<Result<SecuritySettings>>;
  patchSecurity(body: SecurityPatchBody): Promise<Result<SecuritySettings>>;
  activeSessions(): Promise<Result<ActiveSessionsResponse>>;
  /** Asks the relay to close the session; it does so shortly after (202). */
  disconnectSession(id: string): Promise<Result<ActiveSession>>;
}

async function run<T>(
  request: () => Promise<Response>,
  parse: "json" | "bytes" | "none" = "json",
): Promise<Result<T>> {
  let res: Response;
  try {
    res = await request();
  } catch (error) {
    return {
      ok: false,
      error: { kind: "unreachable", message: error instanceof Error ? error.message : String(error) },
    };
  }
  if (res.ok) {
    if (parse === "none" || res.status === 204) return { ok: true, value: null as T };
    const value = parse === "json" ? await res.json() : new Uint8Array(await res.arrayBuffer());
    return { ok: true, value: value as T };
  }
  // A proxy or a wrong URL answers with something else than the API's error shape; say so plainly.
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {}
  const error = (body as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
  const retryAfter = Number.parseInt(res.headers.get("retry-after") ?? "", 10);
  return {
    ok: false,
    error: {
      kind: "api",
      status: res.status,
      code: (error?.code as ErrorCode | undefined) ?? "unknown",
      message: error?.message ?? `HTTP ${res.status}`,
      ...(error?.field ? { field: error.field } : {}),
      ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}),
    },
  };
}

/** Query values travel as strings; absent ones are left out rather than sent as "undefined". */
function queryOf(query: Record<string, string | number | boolean | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") out[k] = String(v);
  return out;
}

export interface HttpPortOptions {
  token?: string;
  fetch?: typeof fetch;
}

/** The admin API's typed client (`hono/client` over `AdminApi`), the bearer token on every request. */
function createAdminClient(baseUrl: string, options: HttpPortOptions) {
  return hc<AdminApi>(baseUrl, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    headers: (): Record<string, string> =>
      options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
}

export function createHttpPort(baseUrl: string, options: HttpPortOptions = {}): AdminApiPort {
  const api = createAdminClient(baseUrl, options);
  return {
    baseUrl,
    withToken: (token) => createHttpPort(baseUrl, { ...options, token }),
    login: (body) => run(() => api.sessions.$post({ json: body })),
    logout: () => run(() => api.sessions.current.$delete(), "none"),
    changePassword: (body) => run(() => api.sessions.current.password.$put({ json: body }), "none"),
    history: (query) => run(() => api.history.$get({ query: queryOf(query) as never })),
    historyCsv: (query) => run(() => api.history.csv.$get({ query: queryOf(query) as never }), "bytes"),
    users: (q, cursor) => run(() => api.users.$get({ query: queryOf({ q, cursor }) as never })),
    user: (userName) => run(() => api.users[":userName"].$get({ param: { userName } })),
    patchUser: (userName, version, change) =>
      run(() =>
        api.users[":userName"].$patch({ param: { userName }, header: {}, json: { ...change, version } }),
      ),
    batchPatch: (items) => run(() => api.users.$patch({ json: { users: items } })),
    groups: () => run(() => api.groups.$get()),
    addLinks: (links) => run(() => api.groups.links.$post({ json: { links } })),
    removeLinks: (links) => run(() => api.groups.links.remove.$post({ json: { links } })),
    security: () => run(() => api.security.$get()),
    patchSecurity: (body) => run(() => api.security.$patch({ json: body })),
    activeSessions: () => run(() => api["active-sessions"].$get()),
    disconnectSession: (id) => run(() => api["active-sessions"][":id"].$delete({ param: { id } })),
  };
}
