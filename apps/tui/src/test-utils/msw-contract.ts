/**
 * Binds the msw handlers' payload types (@tsunagi/fixtures/msw, which can't import admin-api: see its
 * types.ts) to the admin API's schemas. Each line fails `tsc -b apps/tui` when a schema and the
 * handlers disagree in either direction, so the stand-in can't drift from the real API unnoticed.
 */
import type * as S from "@tsunagi/admin-api/client";
import type * as M from "@tsunagi/fixtures/msw";
import type { z } from "zod";

type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

export type Contract = [
  Assert<Exact<M.MswErrorBody, z.infer<typeof S.ErrorBody>>>,
  Assert<Exact<M.MswLoginResponse, z.infer<typeof S.LoginResponse>>>,
  Assert<Exact<M.MswReason, z.infer<typeof S.Reason>>>,
  Assert<Exact<M.MswHistoryRow, z.infer<typeof S.HistoryRow>>>,
  Assert<Exact<M.MswHistoryPage, z.infer<typeof S.HistoryPage>>>,
  Assert<Exact<M.MswSlotState, z.infer<typeof S.SlotState>>>,
  Assert<Exact<M.MswUserDetail, z.infer<typeof S.UserDetail>>>,
  Assert<Exact<M.MswUsersPage, z.infer<typeof S.UsersPage>>>,
  Assert<Exact<M.MswGroupsResponse, z.infer<typeof S.GroupsResponse>>>,
  Assert<Exact<M.MswSecuritySettings, z.infer<typeof S.SecuritySettings>>>,
  Assert<Exact<M.MswUserChange, z.input<typeof S.UserChange>>>,
  Assert<Exact<M.MswExtended, z.infer<typeof S.Extended>>>,
  Assert<Exact<M.MswActiveSession, z.infer<typeof S.ActiveSession>>>,
  Assert<Exact<M.MswActiveSessionsResponse, z.infer<typeof S.ActiveSessionsResponse>>>,
];
