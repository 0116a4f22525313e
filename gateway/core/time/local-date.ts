/**
 * Store-local business dates. An instant (epoch ms) becomes a calendar date in the store's
 * IANA zone through Intl, which knows the zone's DST history: 00:30 local on the morning
 * after a DST switch is still that morning's date, however many hours UTC is off.
 */
import type { IsoDate } from './calendar';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // en-CA formats as YYYY-MM-DD, but formatToParts is used anyway so the locale's
    // punctuation never matters; h23 avoids the "24:00" midnight quirk of some engines.
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when Intl knows the zone (e.g. `Europe/Amsterdam`, `UTC`). */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

// Every UTC offset and every DST switch in use since the 1980s is a multiple of 15 minutes,
// so local midnight falls on a 15-minute UTC boundary and the date is constant within each
// 15-minute UTC slot. One remembered slot per zone saves the Intl call (≈7 µs) on the till
// path. Older instants (odd LMT offsets) always go through Intl.
const SLOT_MS = 15 * 60_000;
const CACHE_FROM_MS = Date.UTC(1980, 0, 1);
const lastSlot = new Map<string, { slot: number; date: IsoDate }>();

/** The calendar date in `timeZone` at instant `epochMs`. Throws RangeError for an unknown zone. */
export function localDate(epochMs: number, timeZone: string): IsoDate {
  if (!Number.isFinite(epochMs)) throw new RangeError(`not an instant: ${epochMs}`);
  if (epochMs < CACHE_FROM_MS) return intlDate(epochMs, timeZone);
  const slot = Math.floor(epochMs / SLOT_MS);
  const hit = lastSlot.get(timeZone);
  if (hit?.slot === slot) return hit.date;
  const date = intlDate(epochMs, timeZone);
  lastSlot.set(timeZone, { slot, date });
  return date;
}

/** The same without the slot cache (tests check the two agree). */
export function intlDate(epochMs: number, timeZone: string): IsoDate {
  let year = '';
  let month = '';
  let day = '';
  for (const part of formatterFor(timeZone).formatToParts(epochMs)) {
    if (part.type === 'year') year = part.value;
    else if (part.type === 'month') month = part.value;
    else if (part.type === 'day') day = part.value;
  }
  return `${year.padStart(4, '0')}-${month}-${day}`;
}
