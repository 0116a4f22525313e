/**
 * Day arithmetic on store-local dates, and the store's next midnight as an instant. Pure:
 * `now` and the zone are arguments; Intl supplies the zone's DST history.
 */
import { formatIsoDate, parseIsoDate, type IsoDate } from '../time/calendar';
import { localDate } from '../time/local-date';

/** `date` plus `days` (may be negative), on the calendar: no time zone, no DST. */
export function addDays(date: IsoDate, days: number): IsoDate {
  const p = parseIsoDate(date);
  if (!p) throw new RangeError(`not a calendar date: ${date}`);
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + days));
  return formatIsoDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

/** Months since year 0 (for period arithmetic): 2024-01 → 24288. */
export function monthIndex(date: IsoDate): number {
  return Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;
}

export const monthKey = (index: number): string => `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;

export const firstOfMonth = (index: number): IsoDate => `${monthKey(index)}-01`;

const SLOT_MS = 15 * 60_000;

/**
 * The first instant after `now` at which the store-local date changes: the next local
 * midnight (or, where a zone skips midnight on a DST day, the first instant of the new date).
 * Every offset in use is a multiple of 15 minutes, so the date is constant on 15-minute UTC
 * slots and a binary search over the next 48 h of slots finds the change exactly, on 23-
 * and 25-hour days alike.
 */
export function nextLocalMidnight(now: number, timeZone: string): number {
  const today = localDate(now, timeZone);
  let lo = Math.floor(now / SLOT_MS); // date at lo is today
  let hi = lo + (48 * 60) / 15; // date at hi is past today
  if (localDate(hi * SLOT_MS, timeZone) === today) throw new Error(`no date change within 48 h in ${timeZone}`);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDate(mid * SLOT_MS, timeZone) === today) lo = mid;
    else hi = mid;
  }
  return hi * SLOT_MS;
}
