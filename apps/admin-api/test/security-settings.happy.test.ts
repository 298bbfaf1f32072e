/** The contract's security settings: the admin allow-list, the lockout and the idle timeout, audited. */
import { schema } from "@tsunagi/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, errorOf, expectStatus, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

describe("security settings", () => {
  it("reads and changes the allow-list, lockout and idle timeout, refusing a list that shuts the admin out", async () => {
    const read = await call(h.app, "GET", "/security", { token: h.token });
    expect(read.json).toEqual({
      adminAllowCidrs: null,
      lockout: { threshold: 5, durationSeconds: 900 },
      adminIdleTimeoutSeconds: 1800,
    });
    const selfLock = await call(h.app, "PATCH", "/security", {
      token: h.token,
      body: { adminAllowCidrs: ["198.51.100.0/24"] },
    });
    expectStatus(selfLock, 400);
    expect(errorOf(selfLock).field).toBe("adminAllowCidrs");
    const badCidr = await call(h.app, "PATCH", "/security", {
      token: h.token,
      body: { adminAllowCidrs: ["192.0.2.0/33"] },
    });
    expect(errorOf(badCidr).field).toBe("adminAllowCidrs[0]");
    const ok = await call(h.app, "PATCH", "/security", {
      token: h.token,
      body: {
        adminAllowCidrs: ["192.0.2.0/24"],
        lockout: { threshold: 3, durationSeconds: 600 },
        adminIdleTimeoutSeconds: 600,
      },
    });
    expect(ok.json).toEqual({
      adminAllowCidrs: ["192.0.2.0/24"],
      lockout: { threshold: 3, durationSeconds: 600 },
      adminIdleTimeoutSeconds: 600,
    });
    const [contract] = await h.t.db
      .select()
      .from(schema.contracts)
      .where(eq(schema.contracts.serverHost, "asp1"));
    expect(contract?.lockoutThreshold).toBe(3);
    const audit = await call(h.app, "GET", "/audit", { token: h.token });
    expectStatus(audit, 200);
    expect(audit.json.entries[0]).toMatchObject({
      action: "security.update",
      admin: "account.admin",
      after: { adminIdleTimeoutSeconds: 600 },
    });
  });
});
