import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLLUP_CONFIG, parseRollupConfig } from '../../sync/hq/rollups/config';
import { localClock } from '../../sync/hq/rollups/local-clock';

describe('HQ insights config (checked at the boundary)', () => {
  it('no file: the defaults', () => {
    expect(parseRollupConfig(undefined)).toEqual(DEFAULT_ROLLUP_CONFIG);
    expect(parseRollupConfig(null)).toEqual(DEFAULT_ROLLUP_CONFIG);
  });

  it('each field read: euro per point becomes cents, k, window, zone', () => {
    expect(parseRollupConfig({ euroPerPoint: 0.0125, k: 10, upliftWindowDays: 14, timeZone: 'Europe/Brussels' })).toEqual({
      centsPerPoint: 1.25,
      k: 10,
      upliftWindowDays: 14,
      timeZone: 'Europe/Brussels',
    });
    expect(parseRollupConfig({ k: 3 })).toEqual({ ...DEFAULT_ROLLUP_CONFIG, k: 3 });
  });

  it.each([
    [{ k: 1 }, '/k'],
    [{ k: 2.5 }, '/k'],
    [{ euroPerPoint: 0 }, '/euroPerPoint'],
    [{ euroPerPoint: '0.01' }, '/euroPerPoint'],
    [{ upliftWindowDays: 0 }, '/upliftWindowDays'],
    [{ timeZone: 'Mars/Olympus' }, 'unknown time zone'],
    [{ kk: 5 }, 'insights config'],
    ['k: 5', 'insights config'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseRollupConfig(raw)).toThrow(message);
  });
});

describe('local clock', () => {
  it('the cached quarter-hour stamps agree with Intl across a DST change and a day boundary', () => {
    const clock = localClock('Europe/Amsterdam');
    const fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Europe/Amsterdam',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      hourCycle: 'h23',
    });
    // 2025-03-30 01:00 UTC is the spring change; walk 48 h in 7-minute steps, twice (cold, then cached).
    const from = Date.UTC(2025, 2, 29, 12);
    for (let pass = 0; pass < 2; pass++)
      for (let ms = from; ms < from + 48 * 3_600_000; ms += 7 * 60_000) {
        const p = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
        const s = clock.stamp(ms);
        expect(s.day).toBe(`${p.year}-${p.month}-${p.day}`);
        expect(s.hourOfWeek % 24).toBe(Number(p.hour));
      }
  });
});
