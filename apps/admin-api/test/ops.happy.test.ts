/**
 * The operator command's work: provisioning a contract prints an account sheet whose admin account
 * and temporary password really log in (and must be changed first), in the contract's time zone.
 */
import { describe, expect, it } from "vitest";
import { addUser, isTimeZone, provisionContract, renderAccountSheet } from "../src/cli/provision.js";
import { expectStatus, login, useHarness } from "./helpers.js";

const h = useHarness();

describe("ops provision-contract", () => {
  it("creates the contract and an admin whose temporary password from the sheet logs in", async () => {
    const sheet = await provisionContract(
      h.t.db,
      {
        serverHost: "fuji2",
        contractCode: "000123",
        name: "Example Co",
        model: "neo",
        timeZone: "Europe/Berlin",
      },
      "tsunagi.example.net",
    );
    const text = renderAccountSheet(sheet);
    expect(text).toContain("Contract ID: 000123");
    expect(text).toContain("fuji2.tsunagi.example.net");
    expect(text).toContain(`Admin account        ${sheet.adminLogin}`);
    expect(text).toContain(`Temporary password   ${sheet.temporaryPassword}`);

    const reply = await login(h.app, "fuji2", sheet.adminLogin, sheet.temporaryPassword);
    expectStatus(reply, 200);
    expect(reply.json.temporaryPassword).toBe(true);
    expect(reply.json.contract).toMatchObject({ code: "000123", model: "neo", timeZone: "Europe/Berlin" });
    expect((await login(h.app, "fuji2", sheet.adminLogin, "not-it")).status).toBe(401);
  });

  it("adds a user to a provisioned contract, and refuses an unknown contract", async () => {
    const { user } = await addUser(h.t.db, {
      contractCode: "000123",
      userName: "new.user",
      password: "pw-123456",
    });
    expect(user?.serverHost).toBe("fuji2");
    await expect(addUser(h.t.db, { contractCode: "999999", userName: "x", password: "y" })).rejects.toThrow(
      /no contract 999999/,
    );
  });

  it("knows a time zone from a typo", () => {
    expect(isTimeZone("Asia/Tokyo")).toBe(true);
    expect(isTimeZone("Asia/Tokio")).toBe(false);
  });
});
