/**
 * "Expiring soon" (kiosk, phones) and the notice ahead of expiry (HQ warns the member).
 * Pure: `today` is the store-local date. A lot expires ON its date (lots.ts), so "within
 * N days" means expiresOn in (today, today + N].
 */
import type { IsoDate } from '../time/calendar';
import { addDays } from './dates';
import type { Lot } from './lots';

export interface ExpiringSoon {
  readonly total: number;
  /** Points per expiry date, soonest first. */
  readonly dates: readonly { readonly expiresOn: IsoDate; readonly points: number }[];
}

export function expiringSoon(lots: readonly Lot[], today: IsoDate, days: number): ExpiringSoon {
  const until = addDays(today, days);
  const byDate = new Map<IsoDate, number>();
  for (const l of lots) {
    if (l.remaining > 0 && l.expiresOn > today && l.expiresOn <= until) byDate.set(l.expiresOn, (byDate.get(l.expiresOn) ?? 0) + l.remaining);
  }
  const dates = [...byDate].sort(([a], [b]) => (a < b ? -1 : 1)).map(([expiresOn, points]) => ({ expiresOn, points }));
  return { total: dates.reduce((a, d) => a + d.points, 0), dates };
}

/** Lots that are due a notice today: still holding points, expiring within `noticeDays` but not yet. */
export const lotsDueNotice = <L extends Lot>(lots: readonly L[], today: IsoDate, noticeDays: number): L[] => {
  const until = addDays(today, noticeDays);
  return lots.filter((l) => l.remaining > 0 && l.expiresOn > today && l.expiresOn <= until);
};
