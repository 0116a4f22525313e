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

/** The calendar date in `timeZone` at instant `epochMs`. Throws RangeError for an unknown zone. */
export function localDate(epochMs: number, timeZone: string): IsoDate {
  if (!Number.isFinite(epochMs)) throw new RangeError(`not an instant: ${epochMs}`);
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
