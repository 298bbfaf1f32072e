/**
 * The formats of what an agent reports about itself in its hello (MAC, USB key serial, machine id, OS
 * user, user names, program version), defined once: the wire schema refuses what must not travel at
 * all, and the relay records a reported value that does not parse as `INVALID_FIELD`, never as sent
 * (docs/protocol.md, "Reported fields"). What an agent reports is attacker-controlled text that ends up
 * in the access history, the TUI and the account manager's CSV exports.
 */
import { z } from "zod";
import { normaliseMac, type Parsed } from "./address.js";

/** What the history records in place of a reported value that does not parse. */
export const INVALID_FIELD = "invalid";

/**
 * Control characters (C0, DEL, C1), line and paragraph separators, and the bidirectional overrides
 * and isolates that make text display other than it reads (a device name that looks like another).
 */
const CONTROL = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** Whether `text` holds a character no reported name may contain (see `CONTROL`). */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/** A reported name: 1 to `max` characters (UTF-16 units), none of them a control character. */
export const reportedText = (field: string, max: number) =>
  z
    .string()
    .min(1, `${field} must not be empty`)
    .max(max, `${field}: at most ${max} characters`)
    .refine((text) => !hasControlCharacters(text), `${field} must not contain control characters`);

/** The longest MAC text the wire carries; every spelling `normaliseMac` reads fits in 17. */
export const MAC_TEXT_MAX = 32;
export const MACHINE_ID_MAX = 256;
export const OS_USER_MAX = 256;
export const USER_NAME_MAX = 128;
export const USB_KEY_SERIAL_MAX = 64;
export const PROGRAM_VERSION_MAX = 64;

/** The device's machine id (terminal authentication): a name, compared as text. */
export const MachineId = reportedText("machineId", MACHINE_ID_MAX);
/** The OS user the viewer runs as (`DOMAIN\\user`, `user@host`): a name, compared as text. */
export const OsUser = reportedText("osUser", OS_USER_MAX);
/** A user name as sent (`user`, `target`): it is looked up, and a target is recorded as the peer. */
export const ReportedUserName = (field: string) => reportedText(field, USER_NAME_MAX);
export const ProgramVersion = reportedText("version", PROGRAM_VERSION_MAX);

/**
 * A USB key serial (`NDL-0001-0001`): letters and digits, with `-`, `.` or `_` between them, at most
 * 64 characters. It starts with a letter or digit, so a serial can never read as a spreadsheet formula.
 */
const USB_KEY_SERIAL = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

export function parseUsbKeySerial(text: string): Parsed<string> {
  return text.length <= USB_KEY_SERIAL_MAX && USB_KEY_SERIAL.test(text)
    ? { ok: true, value: text }
    : { ok: false, message: "usbKeySerial must be letters and digits with - . or _ between them" };
}

export const UsbKeySerial = z
  .string()
  .max(USB_KEY_SERIAL_MAX, `usbKeySerial: at most ${USB_KEY_SERIAL_MAX} characters`)
  .regex(USB_KEY_SERIAL, "usbKeySerial must be letters and digits with - . or _ between them");

/**
 * The MAC as the access history records it: canonical (`aa:bb:cc:dd:ee:ff`, six octets) when it
 * parses, `INVALID_FIELD` when it does not, null when none was reported. The hello accepts any MAC text
 * up to `MAC_TEXT_MAX`, so that a bad one is still judged (a MAC allow-list admits no invalid MAC) and
 * recorded, as invalid.
 */
export function recordedMac(mac: string | undefined): string | null {
  if (mac === undefined) return null;
  const parsed = normaliseMac(mac);
  return parsed.ok ? parsed.value : INVALID_FIELD;
}
