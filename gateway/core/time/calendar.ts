/**
 * Calendar dates as plain `YYYY-MM-DD` strings (store-local business dates). They sort and
 * compare as strings, survive JSON and SQLite unchanged, and carry no time zone by design:
 * the zone is applied once, where an instant becomes a date (local-date.ts).
 */

export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface DateParts {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
}

export const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

export const daysInMonth = (year: number, month: number): number => (month === 2 && isLeapYear(year) ? 29 : (MONTH_DAYS[month - 1] ?? 31));

/** Parses a real calendar date; `2024-02-30` or `2024-13-01` are not dates and give undefined. */
export function parseIsoDate(text: string): DateParts | undefined {
  const m = ISO_DATE.exec(text);
  if (!m) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

export const isIsoDate = (text: string): boolean => parseIsoDate(text) !== undefined;

export function formatIsoDate({ year, month, day }: DateParts): IsoDate {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Adds whole months, clamping to the end of the target month: 2024-01-31 + 1 → 2024-02-29,
 * 2023-01-31 + 1 → 2023-02-28, 2024-02-29 + 12 → 2025-02-28. Negative months go back.
 */
export function addMonths(date: IsoDate, months: number): IsoDate {
  const parts = parseIsoDate(date);
  if (!parts) throw new RangeError(`not a calendar date: ${date}`);
  if (!Number.isInteger(months)) throw new RangeError(`months must be an integer: ${months}`);
  const index = parts.year * 12 + (parts.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return formatIsoDate({ year, month, day: Math.min(parts.day, daysInMonth(year, month)) });
}

/** Inclusive range test on ISO dates (string order is date order for `YYYY-MM-DD`). */
export const dateInRange = (date: IsoDate, from: IsoDate, to: IsoDate): boolean => from <= date && date <= to;
