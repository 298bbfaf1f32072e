/**
 * Times as the access history shows them ("11/15 10:16:55", "12 min 23 s") in the admin's time
 * zone, and the reverse: the loose times an admin types from what a person reported ("11/16 09:05",
 * "today 10:00") turned into an instant.
 */
import type { Lang } from "@tsunagi/core";

const partsCache = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    });
    partsCache.set(timeZone, f);
  }
  return f;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(at: Date, timeZone: string): Wall {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at))
    if (p.type !== "literal") out[p.type] = Number(p.value);
  return {
    year: out.year ?? 0,
    month: out.month ?? 0,
    day: out.day ?? 0,
    hour: out.hour ?? 0,
    minute: out.minute ?? 0,
    second: out.second ?? 0,
  };
}

const two = (n: number) => String(n).padStart(2, "0");

/** "11/15 10:16:55": the access history's format. */
export function formatTime(iso: string, timeZone: string): string {
  const w = wallClock(new Date(iso), timeZone);
  return `${two(w.month)}/${two(w.day)} ${two(w.hour)}:${two(w.minute)}:${two(w.second)}`;
}

/** "33 min 36 s" / "33分 36秒"; hours when there are any. */
export function formatDuration(seconds: number, lang: Lang): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (lang === "ja") return h > 0 ? `${h}時間 ${m}分 ${s}秒` : `${m}分 ${s}秒`;
  return h > 0 ? `${h} h ${m} min ${s} s` : `${m} min ${s} s`;
}

/** The instant at which the wall clock in `timeZone` reads the given time. */
export function fromWallClock(wall: Wall, timeZone: string): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
  // The zone's offset at that moment, found by reading the wall clock of the UTC guess; twice, so a
  // guess that lands across a DST change settles.
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const w = wallClock(new Date(guess), timeZone);
    const shown = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
    guess += asUtc - shown;
  }
  return new Date(guess);
}

/**
 * Reads "11/16 09:05", "2026/11/16 9:05", "today 10:00", "yesterday 23:50", "今日 10:00", "昨日 10:00"
 * or a bare "10:00" (today). A date without a year is the latest such date not after `now`, because a
 * person reports an error that already happened. Null when it can't be read.
 */
export function parseReportedTime(text: string, now: Date, timeZone: string): Date | null {
  const t = text.trim().toLowerCase();
  const time = /(\d{1,2}):(\d{2})$/.exec(t);
  if (!time) return null;
  const hour = Number(time[1]);
  const minute = Number(time[2]);
  if (hour > 23 || minute > 59) return null;
  const datePart = t.slice(0, time.index).trim();
  const today = wallClock(now, timeZone);
  const at = (year: number, month: number, day: number) =>
    fromWallClock({ year, month, day, hour, minute, second: 0 }, timeZone);

  if (datePart === "" || datePart === "today" || datePart === "今日")
    return at(today.year, today.month, today.day);
  if (datePart === "yesterday" || datePart === "昨日") {
    const y = wallClock(new Date(at(today.year, today.month, today.day).getTime() - 86_400_000), timeZone);
    return at(y.year, y.month, y.day);
  }
  const full = /^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$/.exec(datePart);
  if (full) return at(Number(full[1]), Number(full[2]), Number(full[3]));
  const md = /^(\d{1,2})\/(\d{1,2})$/.exec(datePart);
  if (!md) return null;
  const month = Number(md[1]);
  const day = Number(md[2]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const thisYear = at(today.year, month, day);
  return thisYear.getTime() > now.getTime() + 86_400_000 ? at(today.year - 1, month, day) : thisYear;
}
