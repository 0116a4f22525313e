/**
 * PresenceEngine.setZoneParams: HQ's zone overrides applied to a running engine. Devices keep
 * their windows and zones; the new parameters decide from the next evaluate on.
 */
import { describe, expect, it } from 'vitest';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';
import { PresenceEngine } from '../../gateway/core/presence/engine';
import type { PresenceEvent } from '../../gateway/core/presence/events';
import { DEFAULT_ZONE_PARAMS, type ZoneParams } from '../../gateway/core/presence/params';
import { TokenTable, epochOf } from '../../gateway/core/presence/token';

const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const E = epochOf(T0);
const MAJOR = 0x1001;
const MINOR = 1;
const member = iBeaconAdData(PROGRAM, MAJOR, MINOR, -59).subarray(5);
const base: ZoneParams = { ...DEFAULT_ZONE_PARAMS, windowMs: 3000, enterTimeMs: 1000, switchTimeMs: 2000, exitTimeMs: 5000, absenceTimeoutMs: 10_000 };

function engine() {
  const tokens = new TokenTable([E - 1, E, E + 1].map((epoch) => ({ member: 'M-1', epoch, token: ((MAJOR << 16) | MINOR) >>> 0 })));
  return new PresenceEngine(
    {
      programUuid: PROGRAM,
      zones: ['A', 'B'].map((id) => ({ id, params: base })),
      scanners: [
        { name: 'sa', zone: 'A', offsetDb: 0 },
        { name: 'sb', zone: 'B', offsetDb: 0 },
      ],
      visitEndMs: 60_000,
      maxTracked: 100,
      maxAnonymous: 100,
      anonymousWindowMs: 20_000,
    },
    { tokens },
  );
}

/** The member heard at [A, B] every 200 ms over [from, to), evaluated every 500 ms. */
function feed(e: PresenceEngine, from: number, to: number, [a, b]: [number, number], out: PresenceEvent[] = []) {
  for (let t = from; t < to; t += 100) {
    if (t % 200 === 0) {
      e.ingest({ scanner: 'sa', rssi: a, manufacturerData: member, at: T0 + t });
      e.ingest({ scanner: 'sb', rssi: b, manufacturerData: member, at: T0 + t });
    }
    if (t % 500 === 0) out.push(...e.evaluate(T0 + t));
  }
  return out;
}

const M1 = { kind: 'member', id: 'M-1' } as const;
const switches = (out: PresenceEvent[]) => out.filter((x) => x.type === 'zone-left' && x.reason === 'switch').length;

describe('PresenceEngine.setZoneParams', () => {
  it('a wider switch margin on the rival zone holds a device that would otherwise switch', () => {
    const control = engine();
    feed(control, 0, 10_000, [-60, -80]);
    expect(control.zoneOf(M1)).toBe('A');
    expect(switches(feed(control, 10_000, 30_000, [-70, -60]))).toBe(1);
    expect(control.zoneOf(M1)).toBe('B');

    const e = engine();
    feed(e, 0, 10_000, [-60, -80]);
    const before = e.stats();
    e.setZoneParams([
      { id: 'A', params: base },
      { id: 'B', params: { ...base, switchMarginDb: 30 } },
    ]);
    // Nothing forgotten, nothing re-decided: same devices, same zone.
    expect(e.stats()).toEqual(before);
    expect(e.zoneOf(M1)).toBe('A');
    expect(e.paramsOf('B')?.switchMarginDb).toBe(30);
    expect(e.paramsOf('A')?.switchMarginDb).toBe(base.switchMarginDb);
    expect(switches(feed(e, 10_000, 30_000, [-70, -60]))).toBe(0);
    expect(e.zoneOf(M1)).toBe('A');
  });

  it('recomputes the longest window: a device heard once is kept while the new window lasts', () => {
    const short = engine();
    short.ingest({ scanner: 'sa', rssi: -99, manufacturerData: member, at: T0 });
    short.evaluate(T0 + 5000);
    expect(short.stats().tracked).toBe(0); // never placed, older than the 3 s windows: forgotten

    const long = engine();
    long.setZoneParams([
      { id: 'A', params: { ...base, windowMs: 20_000 } },
      { id: 'B', params: base },
    ]);
    long.ingest({ scanner: 'sa', rssi: -99, manufacturerData: member, at: T0 });
    long.evaluate(T0 + 5000);
    expect(long.stats().tracked).toBe(1);
  });

  it('refuses an unknown zone, a zone twice or a zone left out, and keeps the running parameters', () => {
    const e = engine();
    expect(() =>
      e.setZoneParams([
        { id: 'A', params: base },
        { id: 'B', params: base },
        { id: 'C', params: base },
      ]),
    ).toThrow(/unknown zone C/);
    expect(() =>
      e.setZoneParams([
        { id: 'A', params: base },
        { id: 'A', params: base },
      ]),
    ).toThrow(/twice/);
    expect(() => e.setZoneParams([{ id: 'A', params: { ...base, switchMarginDb: 9 } }])).toThrow(/zone B has no parameters/);
    expect(e.paramsOf('A')).toEqual(base);
  });
});
