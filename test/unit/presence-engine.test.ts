/**
 * The presence engine with an injected clock: visits, stays and dwell, absence, visit end,
 * bounded state with eviction, anonymous counting, erasure. Levels are steady (no radio
 * model) so each rule shows on its own.
 */
import { describe, expect, it } from 'vitest';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';
import { PresenceEngine } from '../../gateway/core/presence/engine';
import type { PresenceEvent } from '../../gateway/core/presence/events';
import { DEFAULT_ZONE_PARAMS } from '../../gateway/core/presence/params';
import { TokenTable, epochOf } from '../../gateway/core/presence/token';

const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const E = epochOf(T0);
const md = (major: number, minor: number, uuid = PROGRAM) => iBeaconAdData(uuid, major, minor, -59).subarray(5);
const tokenOf = (n: number) => ({ major: 0x1000 + n, minor: n });
const memberMd = (n: number) => md(tokenOf(n).major, tokenOf(n).minor);

function engine(opts: { maxTracked?: number; maxAnonymous?: number; tags?: boolean } = {}) {
  const tokens = new TokenTable(
    Array.from({ length: 50 }, (_, i) => i + 1).flatMap((n) =>
      [E - 1, E, E + 1].map((epoch) => ({ member: `M-${n}`, epoch, token: ((tokenOf(n).major << 16) | tokenOf(n).minor) >>> 0 })),
    ),
  );
  const params = { ...DEFAULT_ZONE_PARAMS, windowMs: 3000, enterTimeMs: 1000, switchTimeMs: 2000, exitTimeMs: 5000, absenceTimeoutMs: 10_000 };
  return new PresenceEngine(
    {
      programUuid: PROGRAM,
      zones: ['A', 'B'].map((id) => ({ id, params })),
      scanners: [
        { name: 'sa', zone: 'A', offsetDb: 0 },
        { name: 'sb', zone: 'B', offsetDb: 0 },
      ],
      tags: opts.tags ? [{ id: 'trolley-1', uuid: PROGRAM, major: 0xfff0, minor: 1 }] : [],
      visitEndMs: 60_000,
      maxTracked: opts.maxTracked ?? 100,
      maxAnonymous: opts.maxAnonymous ?? 100,
      anonymousWindowMs: 20_000,
    },
    { tokens },
  );
}

/** Feeds `data` at [A, B] levels every 200 ms over [from, to), evaluating every 500 ms. */
function feed(e: PresenceEngine, data: Uint8Array[], from: number, to: number, levels: (t: number) => [number | null, number | null], out: PresenceEvent[]) {
  for (let t = from; t < to; t += 100) {
    if (t % 200 === 0) {
      const [a, b] = levels(t);
      for (const d of data) {
        if (a !== null) e.ingest({ scanner: 'sa', rssi: a, manufacturerData: d, at: T0 + t });
        if (b !== null) e.ingest({ scanner: 'sb', rssi: b, manufacturerData: d, at: T0 + t });
      }
    }
    if (t % 500 === 0) out.push(...e.evaluate(T0 + t));
  }
}

const show = (evs: PresenceEvent[]) =>
  evs.map((e) => {
    const at = Math.round((e.at - T0) / 100) / 10;
    switch (e.type) {
      case 'zone-entered':
        return `${e.subject.id} +${e.zone}@${at}`;
      case 'zone-left':
        return `${e.subject.id} -${e.zone}@${at} ${e.reason} ${e.dwellMs}ms`;
      default:
        return `${e.subject.id} ${e.type}@${at}`;
    }
  });

describe('PresenceEngine', () => {
  it('a visit: start, enter A, switch to B, absence, visit end with dwell per zone', () => {
    const e = engine();
    const out: PresenceEvent[] = [];
    feed(e, [memberMd(1)], 0, 20_000, () => [-60, -80], out);
    feed(e, [memberMd(1)], 20_000, 40_000, () => [-80, -60], out);
    // Gone: nothing heard for the absence timeout, then the visit end.
    for (let t = 40_000; t <= 110_000; t += 500) out.push(...e.evaluate(T0 + t));
    expect(show(out)).toEqual([
      'M-1 visit-started@2.5',
      'M-1 +A@2.5',
      // 2 s after the levels swap (motion: the jump marks it as moving, margin eased).
      'M-1 -A@22 switch 19500ms',
      'M-1 +B@22',
      'M-1 -B@39.8 absence 17800ms',
      'M-1 visit-ended@39.8',
    ]);
    const ended = out.at(-1) as Extract<PresenceEvent, { type: 'visit-ended' }>;
    expect(ended.zones).toEqual([
      { zone: 'A', dwellMs: 19_500, entries: 1 },
      { zone: 'B', dwellMs: 17_800, entries: 1 },
    ]);
    expect(ended.startedAt).toBe(T0 + 2500);
    expect(e.stats().tracked).toBe(0); // forgotten once the visit ended
  });

  it('a member who comes back before the visit end stays in the same visit', () => {
    const e = engine();
    const out: PresenceEvent[] = [];
    feed(e, [memberMd(1)], 0, 10_000, () => [-60, -80], out);
    for (let t = 10_000; t < 40_000; t += 500) out.push(...e.evaluate(T0 + t));
    feed(e, [memberMd(1)], 40_000, 50_000, () => [-60, -80], out);
    const starts = out.filter((x) => x.type === 'visit-started');
    expect(starts).toHaveLength(1);
    expect(new Set(out.map((x) => x.visitId)).size).toBe(1);
    expect(show(out).filter((s) => s.includes('A'))).toEqual(['M-1 +A@2.5', 'M-1 -A@9.8 absence 7300ms', 'M-1 +A@42.5']);
  });

  it('occupancy counts members and tags by zone, and unresolved tokens anonymously', () => {
    const e = engine({ tags: true });
    const out: PresenceEvent[] = [];
    feed(e, [memberMd(1), memberMd(2), md(0xfff0, 1), md(0x0bad, 1), md(0x0bad, 2)], 0, 5000, () => [-60, -80], out);
    feed(e, [memberMd(3), md(0x0bad, 3)], 5000, 10_000, () => [-80, -60], out);
    expect(e.occupancy(T0 + 10_000)).toEqual([
      { zone: 'A', members: 2, tags: 1, anonymous: 2 },
      { zone: 'B', members: 1, tags: 0, anonymous: 1 },
    ]);
    // Anonymous devices leave no events and are forgotten after their window.
    expect(out.every((x) => x.subject.id.startsWith('M-') || x.subject.id === 'trolley-1')).toBe(true);
    for (let t = 10_000; t <= 40_000; t += 500) e.evaluate(T0 + t);
    expect(e.stats().anonymous).toBe(0);
  });

  it('drops adverts that are not the program UUID or a tag, before anything is kept', () => {
    const e = engine();
    expect(e.ingest({ scanner: 'sa', rssi: -60, manufacturerData: md(1, 2, 'b1b1b1b1-0000-0000-0000-000000000001'), at: T0 })).toBe('dropped');
    expect(e.ingest({ scanner: 'sa', rssi: -60, manufacturerData: Uint8Array.of(0x06, 0x00, 1, 2, 3), at: T0 })).toBe('dropped');
    expect(e.ingest({ scanner: 'nope', rssi: -60, manufacturerData: memberMd(1), at: T0 })).toBe('unknown-scanner');
    expect(e.stats()).toEqual({ tracked: 0, anonymous: 0, samples: 0 });
  });

  it('keeps at most maxTracked members; the stalest is evicted with its stay and visit closed', () => {
    const e = engine({ maxTracked: 3 });
    const out: PresenceEvent[] = [];
    for (let n = 1; n <= 5; n++) feed(e, [memberMd(n)], (n - 1) * 5000, n * 5000, () => [-60, -80], out);
    out.push(...e.evaluate(T0 + 25_000));
    expect(e.stats().tracked).toBeLessThanOrEqual(3);
    const evicted = out.filter((x) => x.type === 'visit-ended' && x.reason === 'evicted').map((x) => x.subject.id);
    expect(evicted).toEqual(['M-1', 'M-2']);
    expect(out.filter((x) => x.type === 'zone-left' && x.reason === 'evicted').map((x) => x.subject.id)).toEqual(['M-1', 'M-2']);
  });

  it('keeps at most maxAnonymous anonymous devices', () => {
    const e = engine({ maxAnonymous: 10 });
    for (let i = 0; i < 1000; i++) e.ingest({ scanner: 'sa', rssi: -60, manufacturerData: md(0x2000 + i, i), at: T0 + i });
    expect(e.stats().anonymous).toBe(10);
  });

  it('erase forgets a member at once, without events', () => {
    const e = engine();
    const out: PresenceEvent[] = [];
    feed(e, [memberMd(1)], 0, 5000, () => [-60, -80], out);
    expect(e.zoneOf({ kind: 'member', id: 'M-1' })).toBe('A');
    expect(e.erase('M-1')).toBe(true);
    expect(e.zoneOf({ kind: 'member', id: 'M-1' })).toBeNull();
    expect(e.evaluate(T0 + 100_000)).toEqual([]);
  });

  it('follows a member across a token rotation (epoch change) as one visit', () => {
    const e = engine();
    const out: PresenceEvent[] = [];
    // Same member, two different tokens in the table for adjacent epochs.
    const tokens = new TokenTable([
      { member: 'M-9', epoch: E, token: 0x00aa00aa },
      { member: 'M-9', epoch: E + 1, token: 0x00bb00bb },
    ]);
    e.setTokens(tokens);
    feed(e, [md(0x00aa, 0x00aa)], 0, 5000, () => [-60, -80], out);
    feed(e, [md(0x00bb, 0x00bb)], 5000, 10_000, () => [-60, -80], out);
    expect(show(out)).toEqual(['M-9 visit-started@2.5', 'M-9 +A@2.5']);
  });
});
