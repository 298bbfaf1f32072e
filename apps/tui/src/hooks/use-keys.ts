/**
 * Key handling shared by every screen: Ink's useInput plus the keys it doesn't name (F2, which
 * switches the language), a view's bindings from the table in lib/key-bindings.ts, and the text
 * editing of the TUI's input fields.
 */
import { type Key, useInput, useStdin } from "ink";
import { useEffect, useRef, useState } from "react";
import { useUi } from "../app/ui-context.js";
import { actionFor, type Bindings, F2_SEQUENCES, type Handlers, helpFor } from "../lib/key-bindings.js";

export type { Key };

type Handler = (input: string, key: Key) => void;

/** Keys that can hide inside a chunk of typed text; each becomes its own key press. */
const EMBEDDED_KEY = /[\r\n\t\x7f\b]/;

function keyFor(ch: string, base: Key): Key {
  return {
    ...base,
    return: ch === "\r" || ch === "\n",
    tab: ch === "\t",
    backspace: ch === "\x7f" || ch === "\b",
  };
}

/**
 * Calls `handler` for each key press. Over SSH, on a paste, or from tmux send-keys, typed text and the
 * keys between it (Tab, Enter, Backspace) can arrive as one chunk ("asp1\tadmin\tpassword\r"), which
 * Ink hands over as one piece of text. Such a chunk is split: the text before the first key at once,
 * the key and the rest after React has committed the render the text caused, so the handler that
 * sees the key, read from a ref set at render, sees the text before it.
 */
export function useKeys(handler: Handler, active = true): void {
  const ref = useRef(handler);
  ref.current = handler;
  const queue = useRef<[string, Key][]>([]);
  const [, setTurn] = useState(0);
  useEffect(() => {
    const next = queue.current.shift();
    if (!next) return;
    deliver(next[0], next[1]);
    if (queue.current.length) setTurn((n) => n + 1);
  });

  function deliver(input: string, key: Key): void {
    const at = input.search(EMBEDDED_KEY);
    if (at < 0 || input.length === 1 || key.ctrl || key.meta) {
      ref.current(input, key);
      return;
    }
    const plain = keyFor("", key);
    if (at > 0) ref.current(input.slice(0, at), plain);
    const ch = input.charAt(at);
    queue.current.push([ch === "\n" ? "\r" : ch, keyFor(ch, key)]);
    // A Windows-style "\r\n" is one Enter.
    const rest = input.slice(at + 1).replace(ch === "\r" ? /^\n/ : /^$/, "");
    if (rest) queue.current.push([rest, plain]);
    // A render is what lets the effect above run; this one is certain even when the text changed nothing.
    setTurn((n) => n + 1);
  }

  useInput((input, key) => deliver(input, key), { isActive: active });
}

/**
 * Answers a view's key presses from its bindings (lib/key-bindings.ts): a key runs the handler of
 * the first row it matches among the actions with a handler; any other key goes to `other` (text
 * typed into a field). Returns the help line's entries for the same rows and handlers. While
 * `paused` (a request in flight), keys do nothing and the line stays as it is.
 */
export function useBindings<A extends string>(
  bindings: Bindings<A>,
  handlers: Handlers<A>,
  other?: (input: string, key: Key) => void,
  { active = true, paused = false }: { active?: boolean; paused?: boolean } = {},
): string[] {
  const { m } = useUi();
  useKeys((input, key) => {
    if (paused) return;
    const action = actionFor(bindings, handlers, input, key);
    if (action) handlers[action]?.(input, key);
    else other?.(input, key);
  }, active);
  return helpFor(bindings, handlers, m);
}

/** Calls `onF2` on the F2 key, whatever screen is active. */
export function useF2(onF2: () => void): void {
  const { internal_eventEmitter } = useStdin();
  const ref = useRef(onF2);
  ref.current = onF2;
  useEffect(() => {
    const onInput = (data: string) => {
      if (F2_SEQUENCES.has(data)) ref.current();
    };
    internal_eventEmitter?.on("input", onInput);
    return () => {
      internal_eventEmitter?.removeListener("input", onInput);
    };
  }, [internal_eventEmitter]);
}

/** True for the keys that move between fields or act, so they never end up typed into a field. */
export function isControl(input: string, key: Key): boolean {
  return (
    key.return ||
    key.tab ||
    key.escape ||
    key.upArrow ||
    key.downArrow ||
    key.leftArrow ||
    key.rightArrow ||
    key.pageDown ||
    key.pageUp ||
    key.ctrl ||
    (key.meta && input === "") ||
    input === ""
  );
}

/** The field's value after a key press: Backspace deletes, printable text (or a paste) appends. */
export function editText(value: string, input: string, key: Key, max = 256): string {
  if (key.backspace || key.delete) return [...value].slice(0, -1).join("");
  if (isControl(input, key)) return value;
  // Pasted text may carry a newline or control characters; a field holds one line.
  const clean = [...input].filter((ch) => ch >= " " && ch !== "\x7f").join("");
  return [...(value + clean)].slice(0, max).join("");
}
