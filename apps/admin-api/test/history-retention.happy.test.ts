/**
 * A contract's history retention: rows older than it are neither listed, summed nor exported, even
 * while another contract's longer retention keeps their month's partition.
 */
import { schema } from "@tsunagi/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, expectStatus, useReadyAdmin } from "./helpers.js";

const h = useReadyAdmin();

describe("history retention", () => {
  it("hides the rows older than the contract's retention from the page, the sums and the CSV", async () => {
    const [contract] = await h.t.db
      .select()
      .from(schema.contracts)
      .where(eq(schema.contracts.serverHost, "asp1"));
    if (!contract) expect.fail("no demo contract");
    // The harness's clock reads 2026-11-20: a session of user1 in August.
    await h.t.db.insert(schema.accessHistory).values({
      contractId: contract.id,
      userName: "user1",
      role: "viewer",
      result: "success",
      startedAt: new Date("2026-08-10T01:00:00Z"),
      endedAt: new Date("2026-08-10T02:00:00Z"),
    });
    const page = async () => {
      const res = await call(h.app, "GET", "/history?user=user1&role=viewer&limit=100", { token: h.token });
      expectStatus(res, 200);
      const group = res.json.groups[0];
      return { rows: group?.rows.length ?? 0, seconds: group?.connectedSeconds ?? 0 };
    };
    const csvLines = async () => {
      const res = await call(h.app, "GET", "/history/csv?user=user1&role=viewer", { token: h.token });
      expectStatus(res, 200);
      return res.text.trim().split("\r\n").length;
    };
    // The default retention (24 months) keeps August.
    const kept = await page();
    const keptCsv = await csvLines();
    expect(kept.seconds).toBe(33 * 60 + 36 + 3600);

    // Two months (September and October before November): August goes for this contract.
    await h.t.db
      .update(schema.contracts)
      .set({ historyRetentionMonths: 2 })
      .where(eq(schema.contracts.id, contract.id));
    const hidden = await page();
    expect(hidden.rows).toBe(kept.rows - 1);
    expect(hidden.seconds).toBe(33 * 60 + 36);
    expect(await csvLines()).toBe(keptCsv - 1);
  });
});
