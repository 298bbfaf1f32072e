/**
 * The admin API's types as the TUI uses them: the contract's own (z.infer of its schemas), so a
 * schema change reaches every screen at compile time. Types only: the schemas themselves
 * (zod-openapi) stay out of the TUI's start-up, and the route table comes from the admin API as a type.
 */

import type * as S from "@tsunagi/api-contract";
import type { z } from "zod";

export type { AdminApi } from "@tsunagi/admin-api";
export type {
  ActiveSession,
  ActiveSessionsResponse,
  ErrorCode,
  Extended,
  GroupLink,
  GroupsResponse,
  HistoryPage,
  HistoryRow,
  LoginResponse,
  Reason,
  SecuritySettings,
  SlotState,
  UserDetail,
  UserSummary,
  UsersPage,
} from "@tsunagi/api-contract";

export type LoginBody = z.input<typeof S.LoginBody>;
export type ChangePasswordBody = z.input<typeof S.ChangePasswordBody>;
export type HistoryQueryInput = Partial<Omit<z.infer<typeof S.HistoryQuery>, "lang">> & {
  lang?: z.infer<typeof S.HistoryQuery>["lang"];
};
/** The CSV download's query: the history filter plus language, encoding and extended display. */
export type HistoryCsvQueryInput = Partial<z.input<typeof S.HistoryCsvQuery>>;
export type HistoryGroup = S.HistoryPage["groups"][number];
export type UserChange = S.UserChangeInput;
export type BatchPatchResponse = z.infer<typeof S.BatchPatchResponse>;
export type GroupChangeResponse = z.infer<typeof S.GroupChangeResponse>;
export type SecurityPatchBody = z.input<typeof S.SecurityPatchBody>;
