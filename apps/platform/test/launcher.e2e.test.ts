/**
 * `pnpm start` as a person meets it: in a pseudo-terminal at 80×24, against a fresh test database,
 * it loads the demo, starts the servers and opens the TUI at the login screen with server asp1 and
 * the demo admin filled in and the demo credentials shown; Ctrl-C quits it all.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useTestDatabase } from "@tsunagi/db/testing";
import { DEMO } from "@tsunagi/fixtures";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type InTerminal, inTerminal, launcherCommand } from "./terminal.js";

const t = useTestDatabase();
let dir: string;
let platform: InTerminal | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tsunagi-platform-test-"));
});

afterAll(async () => {
  platform?.pty.kill();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("opens the TUI at the login screen with the demo's server and admin filled in", async () => {
  platform = inTerminal(launcherCommand(["--relay-port", "0", "--api-port", "0"]), {
    DATABASE_URL: t.url,
    TSUNAGI_DATA_DIR: dir,
    TSUNAGI_TUI_CONFIG: join(dir, "tui.json"),
    FORCE_COLOR: "1",
  });
  // Node, tsx's first compile of the launcher and then of the TUI, and Ink: slow on a loaded machine.
  const screen = await platform.waitFor("Account manager login", 60_000);
  expect(screen).toMatch(new RegExp(`Server +${DEMO.serverHost}\n`));
  expect(screen).toMatch(new RegExp(`User name +${DEMO.adminLogin}\n`));
  expect(screen).toContain(
    `demo: server ${DEMO.serverHost} · admin ${DEMO.adminLogin} · temporary password ${DEMO.adminTemporaryPassword}`,
  );

  platform.type("\x03");
  expect(await platform.exited).toBe(0);
});
