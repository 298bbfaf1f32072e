/**
 * The admin API's types as the TUI uses them: z.infer of the API's own schemas, so a schema change
 * reaches every screen at compile time. Types only: the schemas themselves (zod-openapi and every
 * body of the API) stay out of the TUI's start-up.
 */

import type * as S from "@tsunagi/admin-api/client";
import type { z } from "zod";

export type { AdminApi, ErrorCode } from "@tsunagi/admin-api/client";

export type LoginBody = z.input<typeof S.LoginBody>;
export type LoginResponse = z.infer<typeof S.LoginResponse>;
export type ChangePasswordBody = z.input<typeof S.ChangePasswordBody>;
export type Reason = z.infer<typeof S.Reason>;
export type HistoryQueryInput = Partial<Omit<z.infer<typeof S.HistoryQuery>, "lang">> & {
  lang?: z.infer<typeof S.HistoryQuery>["lang"];
};
/** The CSV download's query: the history filter plus language, encoding and extended display. */
export type HistoryCsvQueryInput = Partial<z.input<typeof S.HistoryCsvQuery>>;
export type Extended = z.infer<typeof S.Extended>;
export type HistoryPage = z.infer<typeof S.HistoryPage>;
export type HistoryGroup = HistoryPage["groups"][number];
export type HistoryRow = z.infer<typeof S.HistoryRow>;
export type UsersPage = z.infer<typeof S.UsersPage>;
export type UserSummary = z.infer<typeof S.UserSummary>;
export type UserDetail = z.infer<typeof S.UserDetail>;
export type SlotState = z.infer<typeof S.SlotState>;
export type UserChange = z.input<typeof S.UserChange>;
export type BatchPatchResponse = z.infer<typeof S.BatchPatchResponse>;
export type GroupLink = z.infer<typeof S.GroupLink>;
export type GroupsResponse = z.infer<typeof S.GroupsResponse>;
export type GroupChangeResponse = z.infer<typeof S.GroupChangeResponse>;
export type SecuritySettings = z.infer<typeof S.SecuritySettings>;
export type SecurityPatchBody = z.input<typeof S.SecurityPatchBody>;
export type ActiveSession = z.infer<typeof S.ActiveSession>;
export type ActiveSessionsResponse = z.infer<typeof S.ActiveSessionsResponse>;
