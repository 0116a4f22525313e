import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { addMonths, daysInMonth, isIsoDate, parseIsoDate } from '../../gateway/core/time/calendar';
import { intlDate, isValidTimeZone, localDate } from '../../gateway/core/time/local-date';

describe('localDate', () => {
  it('uses the store zone, not UTC, at the edges of the day', () => {
    // 22:30 UTC on 30 June is 00:30 on 1 July in Amsterdam (UTC+2 in summer).
    expect(localDate(Date.UTC(2024, 5, 30, 22, 30), 'Europe/Amsterdam')).toBe('2024-07-01');
    expect(localDate(Date.UTC(2024, 5, 30, 22, 30), 'UTC')).toBe('2024-06-30');
    expect(localDate(Date.UTC(2024, 0, 1, 4, 0), 'America/New_York')).toBe('2023-12-31');
    expect(localDate(Date.UTC(2024, 0, 1, 10, 0), 'Pacific/Kiritimati')).toBe('2024-01-02');
  });

  it('is DST-safe around both switches in Amsterdam', () => {
    // Spring forward 2024-03-31 02:00 → 03:00 local (01:00 UTC).
    expect(localDate(Date.UTC(2024, 2, 30, 22, 59), 'Europe/Amsterdam')).toBe('2024-03-30'); // 23:59 CET
    expect(localDate(Date.UTC(2024, 2, 30, 23, 0), 'Europe/Amsterdam')).toBe('2024-03-31'); // 00:00 CET
    expect(localDate(Date.UTC(2024, 2, 31, 21, 59), 'Europe/Amsterdam')).toBe('2024-03-31'); // 23:59 CEST
    expect(localDate(Date.UTC(2024, 2, 31, 22, 0), 'Europe/Amsterdam')).toBe('2024-04-01'); // 00:00 CEST
    // Fall back 2024-10-27 03:00 → 02:00 local (01:00 UTC).
    expect(localDate(Date.UTC(2024, 9, 26, 21, 59), 'Europe/Amsterdam')).toBe('2024-10-26'); // 23:59 CEST
    expect(localDate(Date.UTC(2024, 9, 26, 22, 0), 'Europe/Amsterdam')).toBe('2024-10-27'); // 00:00 CEST
    expect(localDate(Date.UTC(2024, 9, 27, 22, 59), 'Europe/Amsterdam')).toBe('2024-10-27'); // 23:59 CET
    expect(localDate(Date.UTC(2024, 9, 27, 23, 0), 'Europe/Amsterdam')).toBe('2024-10-28'); // 00:00 CET
  });

  it('rejects unknown zones and non-instants', () => {
    expect(isValidTimeZone('Europe/Amsterdam')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(() => localDate(0, 'Mars/Olympus')).toThrow(RangeError);
    expect(() => localDate(Number.NaN, 'UTC')).toThrow(RangeError);
  });

  test.prop([fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) })])('in UTC equals the ISO date', (ms) => {
    expect(localDate(ms, 'UTC')).toBe(new Date(ms).toISOString().slice(0, 10));
  });

  test.prop([fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2060, 0, 1) })])(
    'in Amsterdam is the UTC date of the instant shifted by the zone offset (1 or 2 h)',
    (ms) => {
      const d = localDate(ms, 'Europe/Amsterdam');
      expect([new Date(ms + 3_600_000), new Date(ms + 7_200_000)].map((x) => x.toISOString().slice(0, 10))).toContain(d);
    },
  );
});

describe('calendar', () => {
  it('parses only real dates', () => {
    expect(parseIsoDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    expect(isIsoDate('2023-02-29')).toBe(false);
    expect(isIsoDate('2024-13-01')).toBe(false);
    expect(isIsoDate('2024-1-01')).toBe(false);
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
  });

  it('adds months with end-of-month clamping', () => {
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
    expect(addMonths('2023-01-31', 1)).toBe('2023-02-28');
    expect(addMonths('2024-02-29', 12)).toBe('2025-02-28');
    expect(addMonths('2024-03-31', -1)).toBe('2024-02-29');
    expect(addMonths('2024-11-15', 2)).toBe('2025-01-15');
    expect(addMonths('2024-05-31', 120)).toBe('2034-05-31');
    expect(() => addMonths('2024-02-30', 1)).toThrow(RangeError);
  });

  const dateArb = fc
    .record({ year: fc.integer({ min: 1990, max: 2090 }), month: fc.integer({ min: 1, max: 12 }), day: fc.integer({ min: 1, max: 31 }) })
    .map(({ year, month, day }) => ({ year, month, day: Math.min(day, daysInMonth(year, month)) }))
    .map(({ year, month, day }) => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`);

  test.prop([dateArb, fc.integer({ min: -240, max: 240 })])('lands in the right month, on the same or a clamped day', (date, n) => {
    const a = parseIsoDate(date)!;
    const out = addMonths(date, n);
    const b = parseIsoDate(out);
    expect(b).toBeDefined();
    expect(b!.year * 12 + b!.month - (a.year * 12 + a.month)).toBe(n);
    expect(b!.day).toBe(Math.min(a.day, daysInMonth(b!.year, b!.month)));
  });
});

describe('localDate slot cache', () => {
  const zones = ['Europe/Amsterdam', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/St_Johns', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'];
  test.prop([fc.constantFrom(...zones), fc.integer({ min: Date.UTC(1980, 0, 1), max: Date.UTC(2060, 0, 1) }), fc.integer({ min: -3_600_000, max: 3_600_000 })])(
    'agrees with Intl for instants near each other (same and neighbouring slots)',
    (zone, ms, delta) => {
      expect(localDate(ms, zone)).toBe(intlDate(ms, zone));
      expect(localDate(ms + delta, zone)).toBe(intlDate(ms + delta, zone));
    },
  );

  it('agrees with Intl minute by minute across a day with a DST switch in odd-offset zones', () => {
    for (const zone of zones) {
      for (let ms = Date.UTC(2024, 3, 6, 0, 0); ms < Date.UTC(2024, 3, 8, 0, 0); ms += 60_000) {
        if (localDate(ms, zone) !== intlDate(ms, zone)) throw new Error(`${zone} ${new Date(ms).toISOString()}`);
      }
    }
  });
});
