/**
 * The TUI end to end, as an account manager meets it: the real program (`pnpm tui`) in a
 * pseudo-terminal at 80×24, against the real admin API on loopback and a real database with the demo
 * loaded. Log in as account.admin, change the temporary password, find user1's 190500 failure,
 * initialise the PC slot from its details, and see the slot unregistered in the database.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IPty } from "@lydell/node-pty";
import { type RunningAdminApi, startAdminApi } from "@tsunagi/admin-api/start";
import { schema } from "@tsunagi/db";
import { useTestDatabase } from "@tsunagi/db/testing";
import { seedDemo } from "@tsunagi/fixtures";
import { tuiCommand } from "@tsunagi/tui/command";
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InTerminal, inTerminal } from "./terminal.js";

const t = useTestDatabase((fresh) => seedDemo(fresh.db));
let api: RunningAdminApi;
let configDir: string;
let pty: IPty | undefined;

beforeAll(async () => {
  api = await startAdminApi({ database: t.db, port: 0 });
  configDir = await mkdtemp(join(tmpdir(), "tsunagi-tui-e2e-"));
});

afterAll(async () => {
  pty?.kill();
  await api?.close();
  if (configDir) await rm(configDir, { recursive: true, force: true });
});

/** `pnpm tui --api URL --server asp1 --login account.admin` in a pseudo-terminal. */
function startTui(): InTerminal {
  const command = tuiCommand(["--api", api.url, "--server", "asp1", "--login", "account.admin"]);
  const tui = inTerminal(command, {
    TSUNAGI_TUI_CONFIG: join(configDir, "tui.json"),
    // The terminal runs in UTC; the history must still read in the contract's zone (Asia/Tokyo).
    TZ: "UTC",
    FORCE_COLOR: "1",
  });
  pty = tui.pty;
  return tui;
}

/** Lets the TUI settle after a key press that changes nothing on screen yet (field focus moves). */
const pause = (ms = 150) => new Promise((r) => setTimeout(r, ms));

describe("the TUI in a terminal, against the real admin API and database", () => {
  it("finds user1's 190500 failure, initialises the PC slot, and the slot is unregistered", async () => {
    const tui = startTui();
    // The first screen waits for node, tsx's first compile of the TUI and Ink: slow on a loaded machine.
    await tui.waitFor("Account manager login", 60_000);
    await tui.waitFor("account.admin");
    tui.type("demo-temp-1234\r");

    // The demo admin has a temporary password: it must be changed before anything else.
    await tui.waitFor("temporary password");
    for (const field of [
      "demo-temp-1234",
      "\t",
      "a-new-admin-password",
      "\t",
      "a-new-admin-password",
      "\r",
    ]) {
      tui.type(field);
      await pause(80);
    }
    let screen = await tui.waitFor("1. Access history");
    expect(screen).toContain("Contract ID: 000000");

    tui.type("\r");
    screen = await tui.waitFor("Cumulative connection time");
    expect(screen).toContain("user1");
    // Newest first: the reinstalled viewer's failure of 11/16 heads the list, at its Tokyo time.
    expect(screen).toMatch(/11\/16 09:05:12 +09:05:12 +- +Failure/);

    tui.type("\r");
    screen = await tui.waitFor("190500");
    expect(screen).toContain("Initialise the terminal-auth slot (PC)");

    tui.type("g");
    screen = await tui.waitFor("PC: Registered (will be initialised)");
    expect(screen).toMatch(/PC: Registered \(will be initialised\) +\[x\] Initialise/);

    tui.type("\r");
    await tui.waitFor("The changes will be committed to the system. Proceed?");
    tui.type("y");
    screen = await tui.waitFor("User was successfully updated");
    expect(screen).toContain("Unregistered (was initialised)");

    const [user1] = await t.db
      .select()
      .from(schema.users)
      .where(and(eq(schema.users.serverHost, "asp1"), eq(schema.users.userName, "user1")));
    const slots = await t.db
      .select({ slot: schema.deviceRegistrations.slot })
      .from(schema.deviceRegistrations)
      .where(eq(schema.deviceRegistrations.userId, user1?.id ?? ""));
    expect(slots.map((s) => s.slot)).toEqual(["mobile"]);
    expect(user1?.pcSlotInitialisedAt).toBeInstanceOf(Date);
  }, 90_000);
});
