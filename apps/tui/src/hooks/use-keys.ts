/**
 * Key handling shared by every screen: Ink's useInput plus the keys it doesn't name (F2, which
 * switches the language), and the text editing of the TUI's input fields.
 */
import { type Key, useInput, useStdin } from "ink";
import { useEffect, useRef } from "react";

export type { Key };

/** F2 as xterm, VT220 and the Linux console send it. */
const F2 = new Set(["\x1bOQ", "\x1b[12~", "\x1b[[B"]);

type Handler = (input: string, key: Key) => void;

/**
 * Calls `handler` for each key press. Over SSH, or on a paste, typed text and the Enter after it can
 * arrive as one chunk ("password\r"), which Ink hands over as text with no Enter. Such a chunk is
 * split: the text now, the Enter on the next turn of the event loop, after React has re-rendered
 * with the text, so the handler that sees the Enter (read from a ref set at render) sees the text.
 */
export function useKeys(handler: Handler, active = true): void {
  const ref = useRef(handler);
  ref.current = handler;
  useInput((input, key) => deliver(ref, input, key), { isActive: active });
}

function deliver(ref: { current: Handler }, input: string, key: Key): void {
  const at = input.search(/[\r\n]/);
  if (at < 0 || input.length === 1 || key.ctrl || key.meta) {
    ref.current(input, key);
    return;
  }
  if (at > 0) ref.current(input.slice(0, at), { ...key, return: false });
  const rest = input.slice(at + 1).replace(/^\n/, "");
  setImmediate(() => {
    ref.current("\r", { ...key, return: true });
    if (rest) setImmediate(() => deliver(ref, rest, { ...key, return: false }));
  });
}

/** Calls `onF2` on the F2 key, whatever screen is active. */
export function useF2(onF2: () => void): void {
  const { internal_eventEmitter } = useStdin();
  const ref = useRef(onF2);
  ref.current = onF2;
  useEffect(() => {
    const onInput = (data: string) => {
      if (F2.has(data)) ref.current();
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
