/**
 * Earning without buying (issue 6), pure: join bonus, birthday bonus, in-store event
 * attendance, and the caps that bound them. Dates are store-local `YYYY-MM-DD` arguments.
 *
 * Caps. Every bonus kind has its own natural limit (join: once per member; birthday: once
 * per year; event: `perDay` and `perPeriod` awards of that event). On top, the bonus points
 * of ALL kinds together (visit included) are capped per member per store-local day and per
 * calendar period of `periodMonths` months from 1 January (0 = no cap). An award that would
 * cross a total cap is cut to what is left; nothing left means refused.
 */
import { isLeapYear, type IsoDate } from '../time/calendar';
import { addDays, firstOfMonth, monthIndex } from './dates';

export interface BonusTotals {
  /** Bonus points (all kinds) the member got today / in the current cap period. */
  readonly today: number;
  readonly period: number;
}

export interface TotalCaps {
  /** Most bonus points per member per day, all kinds together; 0 = no cap. */
  readonly pointsPerDay: number;
  /** Most bonus points per member per period; 0 = no cap. */
  readonly pointsPerPeriod: number;
  readonly periodMonths: number;
}

export type BonusDecision =
  | { readonly points: number; readonly cut: boolean }
  | { readonly points: 0; readonly refused: 'daily-cap' | 'period-cap' | 'event-daily-cap' | 'event-period-cap' | 'bonus-off' };

/** The calendar period (`periodMonths` months from 1 January) that holds `day`: first and last date. */
export function capPeriod(day: IsoDate, periodMonths: number): { from: IsoDate; to: IsoDate } {
  const mi = monthIndex(day);
  const year = Math.floor(mi / 12);
  const start = year * 12 + Math.floor((mi % 12) / periodMonths) * periodMonths;
  return { from: firstOfMonth(start), to: addDays(firstOfMonth(start + periodMonths), -1) };
}

/** Applies the total caps to an award of `points`: the points allowed, cut to what is left, or a refusal. */
export function capAward(points: number, caps: TotalCaps, totals: BonusTotals): BonusDecision {
  if (points <= 0) return { points: 0, refused: 'bonus-off' };
  let allowed = points;
  let binding: 'daily-cap' | 'period-cap' | undefined;
  if (caps.pointsPerDay > 0 && caps.pointsPerDay - totals.today < allowed) {
    allowed = Math.max(0, caps.pointsPerDay - totals.today);
    binding = 'daily-cap';
  }
  if (caps.pointsPerPeriod > 0 && caps.pointsPerPeriod - totals.period < allowed) {
    allowed = Math.max(0, caps.pointsPerPeriod - totals.period);
    binding = 'period-cap';
  }
  if (allowed === 0) return { points: 0, refused: binding ?? 'daily-cap' };
  return { points: allowed, cut: allowed < points };
}

/** `MM-DD` (01-01 … 12-31, 02-29 allowed), or undefined. */
export function parseBirthday(text: string): string | undefined {
  const m = /^(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const month = Number(m[1]);
  const day = Number(m[2]);
  const max = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return max !== undefined && day >= 1 && day <= max ? text : undefined;
}

/** The date a birthday `MM-DD` falls on in `year`: 29 February is kept on 28 February in other years. */
export function birthdayIn(birthday: string, year: number): IsoDate {
  const md = birthday === '02-29' && !isLeapYear(year) ? '02-28' : birthday;
  return `${String(year).padStart(4, '0')}-${md}`;
}

/**
 * The birthdays (`MM-DD` as stored) whose date in some year lies in the last `graceDays + 1`
 * days up to `today`, each with that date: the daily job awards these, so a run after a
 * power-off of up to `graceDays` days still finds the birthdays it missed. The award key is
 * the birthday's year, so a day seen by two runs awards once.
 */
export function birthdaysDue(today: IsoDate, graceDays: number): { birthday: string; on: IsoDate }[] {
  const out: { birthday: string; on: IsoDate }[] = [];
  for (let i = 0; i <= graceDays; i++) {
    const d = addDays(today, -i);
    const year = Number(d.slice(0, 4));
    const md = d.slice(5);
    out.push({ birthday: md, on: d });
    if (md === '02-28' && !isLeapYear(year)) out.push({ birthday: '02-29', on: d });
  }
  return out;
}

export interface EventRule {
  readonly id: string;
  readonly zone: string;
  readonly from?: IsoDate | undefined;
  readonly to?: IsoDate | undefined;
  readonly minDwellMinutes: number;
  readonly points: number;
  readonly perDay: number;
  readonly perPeriod: number;
  readonly periodMonths: number;
}

/** The events held in `zone` on `day` (a zone may host several; each awards on its own). */
export const eventsIn = <E extends EventRule>(events: readonly E[], zone: string, day: IsoDate): E[] =>
  events.filter((e) => e.zone === zone && (e.from === undefined || e.from <= day) && (e.to === undefined || day <= e.to));

/**
 * Whether a dwell of `dwellMs` in the event's zone earns its points, given how often this
 * member was awarded for this event today and in the event's period.
 */
export function eventAward(
  e: EventRule,
  dwellMs: number,
  counts: { today: number; period: number },
): { ok: true } | { ok: false; reason: 'too-short' | 'event-daily-cap' | 'event-period-cap' } {
  if (dwellMs < e.minDwellMinutes * 60_000) return { ok: false, reason: 'too-short' };
  if (counts.today >= e.perDay) return { ok: false, reason: 'event-daily-cap' };
  if (counts.period >= e.perPeriod) return { ok: false, reason: 'event-period-cap' };
  return { ok: true };
}
