import type { Key } from "ink";
import { describe, expect, it } from "vitest";
import { en } from "../i18n/en.js";
import { keys, loggedIn, renderApp, serveDemo, useMswServer } from "../test-utils/render.js";
import {
  actionFor,
  activeSessionsKeys,
  type Bindings,
  changePasswordKeys,
  groupingKeys,
  type Handlers,
  helpFor,
  historyKeys,
  type KeyMatch,
  loginKeys,
  menuKeys,
  securityKeys,
  sharedHelp,
  troubleshootKeys,
  userFormKeys,
  usersKeys,
} from "./key-bindings.js";

useMswServer();

const noKey = {} as Key;
const handled = (names: string[]): Handlers<string> => Object.fromEntries(names.map((n) => [n, () => {}]));

describe("key bindings: one table for the key handler and the help line", () => {
  it("shows a labelled row exactly when its action has a handler, in the table's order", () => {
    const all = handled(historyKeys.table.map((b) => b.action));
    expect(helpFor(historyKeys.table, all, en)).toEqual([
      en.keyMove,
      en.keyPage,
      `Enter ${en.details}`,
      en.keyFix,
      en.keyFilter,
      en.keyExport,
      en.keyBack,
    ]);
    const { fix: _, ...withoutFix } = all;
    expect(helpFor(historyKeys.table, withoutFix, en)).not.toContain(en.keyFix);
  });

  it("handles a key only for an action with a handler, the same rows the help line reads", () => {
    const all = handled(historyKeys.table.map((b) => b.action));
    expect(actionFor(historyKeys.table, all, "g", noKey)).toBe("fix");
    const { fix: _, ...withoutFix } = all;
    expect(actionFor(historyKeys.table, withoutFix, "g", noKey)).toBeUndefined();
    expect(actionFor(historyKeys.table, all, "", { ...noKey, pageDown: true })).toBe("move");
    expect(actionFor(historyKeys.details, handled(["back"]), "", { ...noKey, return: true })).toBe("back");
  });

  it("in every view, each key belongs to one row only, so no row is hidden behind another", () => {
    const tables: Record<string, Record<string, Bindings<string>>> = {
      historyKeys,
      userFormKeys,
      usersKeys,
      troubleshootKeys,
      groupingKeys,
      securityKeys,
      activeSessionsKeys,
      menuKeys,
      loginKeys,
      changePasswordKeys,
    };
    const name = (k: KeyMatch) => ("input" in k ? `input ${k.input}` : k.key);
    for (const [table, views] of Object.entries(tables)) {
      for (const [view, rows] of Object.entries(views)) {
        const seen = rows.flatMap((r) => r.keys.map((k) => `${table}.${view}: ${name(k)}`));
        expect(new Set(seen).size, `${table}.${view}`).toBe(seen.length);
        const actions = rows.map((r) => r.action);
        expect(new Set(actions).size, `${table}.${view}`).toBe(actions.length);
      }
    }
  });

  it("the login screen's help line is its table's", async () => {
    serveDemo();
    const t = await renderApp({ columns: 200 });
    await t.waitFor("Account manager login");
    const help = t.frame().trimEnd().split("\n").at(-1)?.trim();
    expect(help).toBe(
      [...helpFor(loginKeys.form, handled(["nextField", "prevField", "submit"]), en), ...sharedHelp(en)].join(
        "  ",
      ),
    );
  });

  it("the history screen's help line is the table's, view by view, then the shared keys", async () => {
    serveDemo();
    const t = await loggedIn({ columns: 200, rows: 40 });
    await t.press("1");
    await t.waitFor("Cumulative connection time");
    const helpLine = () => t.frame().trimEnd().split("\n").at(-1)?.trim();
    const line = (entries: string[]) => [...entries, ...sharedHelp(en)].join("  ");
    const table = helpFor(historyKeys.table, handled(historyKeys.table.map((b) => b.action)), en);
    expect(helpLine()).toBe(line(table));
    await t.press("f");
    await t.waitFor("›");
    expect(helpLine()).toBe(
      line(helpFor(historyKeys.filters, handled(["nextField", "cycle", "apply", "back"]), en)),
    );
    await t.press(keys.escape, "x");
    await t.waitFor("Export CSV");
    expect(helpLine()).toBe(
      line(helpFor(historyKeys.export, handled(["nextField", "cycle", "save", "back"]), en)),
    );
  });
});
