/** Store-local weekday and minute of day of an instant (Intl knows the zone's DST rules). */
import type { DayPart, Weekday } from './types';

const formatters = new Map<string, Intl.DateTimeFormat>();
const DAYS: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };

export interface LocalTime {
  readonly date: string;
  readonly weekday: Weekday;
  /** Minutes since local midnight, 0…1439. */
  readonly minute: number;
}

export function localTime(epochMs: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(epochMs)) p[part.type] = part.value;
  return { date: `${p.year}-${p.month}-${p.day}`, weekday: DAYS[p.weekday!]!, minute: Number(p.hour) * 60 + Number(p.minute) };
}

export const parseHhMm = (s: string): number => {
  const m = /^(\d{2}):(\d{2})$/.exec(s);
  if (!m) throw new RangeError(`not a time of day: ${s}`);
  return Number(m[1]) * 60 + Number(m[2]);
};

/** True when `minute` lies in [from, to); a span with `to` ≤ `from` wraps past midnight. */
export function inDayPart(minute: number, part: DayPart): boolean {
  const from = parseHhMm(part.from);
  const to = parseHhMm(part.to);
  if (from === to) return true;
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}
