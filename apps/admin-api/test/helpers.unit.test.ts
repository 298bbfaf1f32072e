/**
 * The test helpers' promises: `call` types an answer by the route a concrete path fills (parameters,
 * query string and all), `expectStatus` narrows it to one status, `errorOf` accepts only the one error
 * shape. The type checks fail `pnpm typecheck` when the route table and the helpers part ways.
 */
import type { ErrorBody } from "@tsunagi/api-contract/errors";
import type { UserDetail, UsersPage } from "@tsunagi/api-contract/users";
import { describe, expect, expectTypeOf, it } from "vitest";
import { call, errorOf, expectStatus, type Reply, type UntypedReply, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

type Status<R, S> = Extract<R, { status: S }>;

describe("typed answers", () => {
  it("types a path by the route it fills: parameters, query string, and the errors no route declares", () => {
    expectTypeOf<Status<Reply<"GET", "/users/user1">, 200>["json"]>().toEqualTypeOf<UserDetail>();
    expectTypeOf<Status<Reply<"GET", `/users?limit=5${string}`>, 200>["json"]>().toEqualTypeOf<UsersPage>();
    expectTypeOf<Status<Reply<"GET", "/users">, 401>["json"]>().toEqualTypeOf<ErrorBody>();
    // Not a route of AdminApi (or not that method): nothing is promised about the body.
    expectTypeOf<Reply<"GET", "/no/such/route">>().toEqualTypeOf<UntypedReply>();
    expectTypeOf<Reply<"GET", "/users/user1/slots/mobile/initialise">>().toEqualTypeOf<UntypedReply>();
  });

  it("narrows to the status asserted, and fails the test on another", async () => {
    const res = await call(h.app, "GET", "/users/user1", { token: h.token });
    expectStatus(res, 200);
    expectTypeOf(res.json).toEqualTypeOf<UserDetail>();
    expect(res.json.userName).toBe("user1");
    expect(() => expectStatus(res, 404)).toThrow();
  });

  it("reads an error only in the one shape", async () => {
    const missing = await call(h.app, "GET", "/users/nobody", { token: h.token });
    expect(errorOf(missing)).toMatchObject({ code: "not-found", field: "userName" });
    const found = await call(h.app, "GET", "/users/user1", { token: h.token });
    expect(() => errorOf(found)).toThrow(/not the one error shape/);
  });
});
