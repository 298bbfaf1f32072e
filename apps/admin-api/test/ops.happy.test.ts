/**
 * The operator command's work: provisioning a contract prints an account sheet whose admin account
 * and temporary password really log in (and must be changed first), in the contract's time zone; the
 * fleet's relays listed as an operator sees them.
 */

import { registerNode, relayNodeStatus } from "@tsunagi/db";
import { killNode } from "@tsunagi/db/testing";
import { describe, expect, it } from "vitest";
import {
  addUser,
  isTimeZone,
  provisionContract,
  renderAccountSheet,
  renderNodes,
} from "../src/cli/provision.js";
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

describe("ops nodes", () => {
  it("lists the fleet's relays: alive, draining or dead, with their sessions", async () => {
    expect(renderNodes(await relayNodeStatus(h.t.db))).toBe("no relay is registered");
    const alive = await registerNode(h.t.db, { id: "relay-a", internalUrl: "ws://10.0.0.1:7411" });
    const draining = await registerNode(h.t.db, { id: "relay-b", internalUrl: "ws://10.0.0.2:7411" });
    await draining.markDraining();
    const dead = await registerNode(h.t.db, { id: "relay-c", internalUrl: "ws://10.0.0.3:7411" });
    // A killed relay: the server ends the session holding its lock.
    await killNode(h.t, dead);
    await expect
      .poll(async () => (await relayNodeStatus(h.t.db)).find((n) => n.id === "relay-c")?.alive)
      .toBe(false);

    const text = renderNodes(await relayNodeStatus(h.t.db));
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^NODE\s+STATE\s+SESSIONS\s+STARTED\s+INTERNAL URL$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ["relay-a", "alive", "0"],
      ["relay-b", "draining", "0"],
      ["relay-c", "dead", "0"],
    ]);
    expect(text).toContain("ws://10.0.0.2:7411");
    // Listing takes no lock for long: the live nodes are still alive, the dead one still listed.
    expect((await relayNodeStatus(h.t.db)).map((n) => n.alive)).toEqual([true, true, false]);
    await alive.release();
    await draining.release();
  });
});
