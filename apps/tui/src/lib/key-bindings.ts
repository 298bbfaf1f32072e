/**
 * The key bindings, one table per view: which key does what, and the words the key-help line shows
 * for it. The key handler (`useBindings` in hooks/use-keys.ts) and the help line both read these
 * rows, given the same handlers, so a key can't be shown without being handled or handled while
 * the line says nothing of it (rows without a label are the exception: extra keys for a shown one).
 */
import type { Key } from "ink";
import type { Messages } from "../i18n/index.js";

/** A key press a binding answers to: a typed character, or one of the keys Ink names. */
export type KeyMatch = { input: string } | { key: KeyName };
export type KeyName =
  | "upArrow"
  | "downArrow"
  | "leftArrow"
  | "rightArrow"
  | "pageUp"
  | "pageDown"
  | "return"
  | "escape"
  | "tab";

export interface Binding<A extends string> {
  action: A;
  keys: readonly KeyMatch[];
  /** The help line's words for it; without, the row only adds keys to an action shown by another. */
  label?: (m: Messages) => string;
}

export type Bindings<A extends string> = readonly Binding<A>[];

/** What each action does; an action without a handler is neither handled nor shown. */
export type Handlers<A extends string> = Partial<Record<A, (input: string, key: Key) => void>>;

export function matches(match: KeyMatch, input: string, key: Key): boolean {
  return "input" in match ? input === match.input : key[match.key];
}

/** The action a key press triggers, among those with a handler. */
export function actionFor<A extends string>(
  bindings: Bindings<A>,
  handlers: Handlers<A>,
  input: string,
  key: Key,
): A | undefined {
  return bindings.find((b) => handlers[b.action] && b.keys.some((k) => matches(k, input, key)))?.action;
}

/** The help line's entries for a view, in the table's order. */
export function helpFor<A extends string>(
  bindings: Bindings<A>,
  handlers: Handlers<A>,
  m: Messages,
): string[] {
  return bindings.flatMap((b) => (b.label && handlers[b.action] ? [b.label(m)] : []));
}

const up: KeyMatch = { key: "upArrow" };
const down: KeyMatch = { key: "downArrow" };
const left: KeyMatch = { key: "leftArrow" };
const right: KeyMatch = { key: "rightArrow" };
const enter: KeyMatch = { key: "return" };
const esc: KeyMatch = { key: "escape" };
const tab: KeyMatch = { key: "tab" };
const space: KeyMatch = { input: " " };

/**
 * Keys every view shares, at the end of the help line: F2 switches the language (in the terminal's
 * own escape sequences: xterm, VT220, the Linux console), Ctrl+C quits (Ink's own handling).
 */
export const F2_SEQUENCES: ReadonlySet<string> = new Set(["\x1bOQ", "\x1b[12~", "\x1b[[B"]);
export const sharedHelp = (m: Messages): string[] => [m.keyLang, m.keyQuit];

/** A form: fields one above the other, choices cycled with ←→ or Space. */
const formKeys = <A extends string>(submit: A, submitLabel: (m: Messages) => string) =>
  [
    { action: "nextField", keys: [tab, down], label: (m: Messages) => m.keyNextField },
    { action: "prevField", keys: [up] },
    { action: "cycle", keys: [left, right, space], label: () => "←→ Space" },
    { action: submit, keys: [enter], label: submitLabel },
    { action: "back", keys: [esc], label: (m: Messages) => m.keyBack },
  ] as const;

export const historyKeys = {
  table: [
    { action: "move", keys: [up, down, { key: "pageUp" }, { key: "pageDown" }], label: (m) => m.keyMove },
    { action: "page", keys: [{ input: "n" }, right, { input: "p" }, left], label: (m) => m.keyPage },
    { action: "details", keys: [enter], label: (m) => `Enter ${m.details}` },
    { action: "fix", keys: [{ input: "g" }], label: (m) => m.keyFix },
    { action: "filters", keys: [{ input: "f" }], label: (m) => m.keyFilter },
    { action: "export", keys: [{ input: "x" }], label: (m) => m.keyExport },
    { action: "reload", keys: [{ input: "r" }] },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  filters: formKeys("apply", (m) => `Enter ${m.update}`),
  details: [
    { action: "fix", keys: [{ input: "g" }], label: (m) => m.keyFix },
    { action: "back", keys: [esc, enter], label: (m) => m.keyBack },
  ],
  export: formKeys("save", (m) => `Enter ${m.exportTitle}`),
} as const satisfies Record<string, Bindings<string>>;

/** A question answered y (or Enter) or n (or Esc). */
const confirmKeys = [
  { action: "confirm", keys: [{ input: "y" }, enter], label: (m: Messages) => m.keyYesNo },
  { action: "cancel", keys: [{ input: "n" }, esc] },
] as const;

/** The user edit and batch management forms: lines of settings ticked or cycled, then a confirmation. */
export const userFormKeys = {
  form: [
    { action: "nextField", keys: [down, tab], label: (m) => m.keyMove },
    { action: "prevField", keys: [up] },
    { action: "toggle", keys: [space, right, left], label: (m) => m.keyToggle },
    { action: "save", keys: [enter], label: (m) => `Enter ${m.update}` },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  confirm: confirmKeys,
} as const satisfies Record<string, Bindings<string>>;

export const usersKeys = {
  list: [
    { action: "move", keys: [up, down, { key: "pageUp" }, { key: "pageDown" }], label: (m) => m.keyMove },
    { action: "open", keys: [enter], label: (m) => m.keyOpen },
    { action: "edit", keys: [{ input: "e" }], label: (m) => m.keyEdit },
    { action: "search", keys: [{ input: "/" }], label: (m) => m.keySearch },
    { action: "select", keys: [space], label: (m) => m.keySelect },
    { action: "batch", keys: [{ input: "b" }], label: (m) => m.keyBatch },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  /** Typing the search; other keys type. */
  search: [
    { action: "submit", keys: [enter], label: (m) => m.keySubmit },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  detail: [
    { action: "edit", keys: [{ input: "e" }], label: (m) => m.keyEdit },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
} as const satisfies Record<string, Bindings<string>>;

export const troubleshootKeys = {
  /** What the person reported; Space / ←→ switch viewer and client (not on the line: the field says so). */
  form: [
    { action: "nextField", keys: [tab, down], label: (m) => m.keyNextField },
    { action: "prevField", keys: [up] },
    { action: "switch", keys: [space, left, right] },
    { action: "find", keys: [enter], label: (m) => `Enter ${m.find}` },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  results: [
    { action: "move", keys: [up, down], label: (m) => m.keyMove },
    { action: "apply", keys: [{ input: "g" }], label: (m) => m.keyApply },
    { action: "edit", keys: [{ input: "e" }], label: (m) => m.keyEdit },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  confirm: confirmKeys,
} as const satisfies Record<string, Bindings<string>>;

export const groupingKeys = {
  list: [
    { action: "move", keys: [up, down], label: (m) => m.keyMove },
    { action: "switch", keys: [{ input: "v" }], label: (m) => m.keySwitch },
    { action: "add", keys: [{ input: "a" }], label: (m) => m.keyAdd },
    { action: "remove", keys: [{ input: "d" }], label: (m) => m.keyRemove },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  /** The two ends of a new link; other keys type. */
  add: [
    { action: "nextField", keys: [tab, down, up], label: (m) => m.keyNextField },
    { action: "submit", keys: [enter], label: (m) => m.keySubmit },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  remove: confirmKeys,
} as const satisfies Record<string, Bindings<string>>;

export const securityKeys = {
  /** The settings; other keys type (digits only in the numeric ones). */
  form: [
    { action: "nextField", keys: [tab, down], label: (m) => m.keyNextField },
    { action: "prevField", keys: [up] },
    { action: "save", keys: [enter], label: (m) => `Enter ${m.update}` },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  confirm: confirmKeys,
} as const satisfies Record<string, Bindings<string>>;

export const activeSessionsKeys = {
  list: [
    { action: "move", keys: [up, down], label: (m) => m.keyMove },
    { action: "disconnect", keys: [{ input: "d" }], label: (m) => m.keyDisconnect },
    { action: "refresh", keys: [{ input: "r" }], label: (m) => m.keyRefresh },
    { action: "back", keys: [esc], label: (m) => m.keyBack },
  ],
  confirm: confirmKeys,
} as const satisfies Record<string, Bindings<string>>;

export const menuKeys = {
  menu: [
    { action: "move", keys: [up, down, tab], label: (m) => m.keyMove },
    { action: "open", keys: [enter], label: (m) => m.keyOpen },
    {
      action: "choose",
      keys: ["1", "2", "3", "4", "5", "6", "7", "8"].map((input) => ({ input })),
      label: () => "1-8",
    },
  ],
} as const satisfies Record<string, Bindings<string>>;

/** A form of text fields submitted from its last one (login, change password); other keys type. */
const textFormKeys = [
  { action: "nextField", keys: [tab, down], label: (m: Messages) => m.keyNextField },
  { action: "prevField", keys: [up] },
  { action: "submit", keys: [enter], label: (m: Messages) => m.keySubmit },
] as const;

export const loginKeys = { form: textFormKeys } as const satisfies Record<string, Bindings<string>>;

export const changePasswordKeys = {
  form: [...textFormKeys, { action: "back", keys: [esc], label: (m) => m.keyBack }],
  /** After a login with a temporary password there is no menu to go back to: Esc logs out. */
  forced: [...textFormKeys, { action: "logout", keys: [esc], label: (m) => `Esc ${m.menuLogout}` }],
} as const satisfies Record<string, Bindings<string>>;

/** The actions of one view of a table like `historyKeys`. */
export type ActionOf<T extends Bindings<string>> = T[number]["action"];
