/**
 * Scoring recorded tracks as ../shared/data/ble/README.md says (issue 15), and the bench's
 * replay defects found on real recordings: per-subject timeline end, naive baseline grouping.
 */
import { describe, expect, it } from 'vitest';
import { emptyTotals, scoreTrack, summary } from '../../firmware-sim/store/score-track';
import { Scorer } from '../../firmware-sim/store/score';
import { naivePlacer } from '../bench/presence-real';

describe('scoreTrack (README rules)', () => {
  it('skips the first 10 s, ends at the last advert, counts entries after the start only', () => {
    const t = emptyTotals();
    // Truth: A for 0–30 s, then B until 60 s. Engine: nothing until 5 s, A until 34 s, B after.
    scoreTrack(
      t,
      [
        { t: 0, zone: 'A' },
        { t: 30_000, zone: 'B' },
      ],
      [
        { t: 0, zone: null },
        { t: 5000, zone: 'A' },
        { t: 34_000, zone: 'B' },
      ],
      0,
      60_000,
    );
    const s = summary(t);
    expect(s.accuracy).toBeCloseTo(46 / 50); // scored 10–60 s; wrong 30–34 s
    expect(s.entries).toBe(1); // the zone the track starts in is not an entry
    expect(s.enterDelayP90S).toBe(4);
    expect(s.falseChanges).toBe(0); // the first A is explained by the visit the track starts in
  });

  it('a change back and forth inside one visit is false; an entry never shown is missed', () => {
    const t = emptyTotals();
    scoreTrack(
      t,
      [
        { t: 0, zone: 'A' },
        { t: 20_000, zone: 'B' },
        { t: 22_000, zone: 'A' },
        { t: 40_000, zone: 'C' },
      ],
      [
        { t: 0, zone: 'A' },
        { t: 10_000, zone: 'B' },
        { t: 12_000, zone: 'A' },
      ],
      0,
      50_000,
    );
    const s = summary(t);
    expect(s.entries).toBe(2); // B lasted 2 s (< 3 s): not an entry; A again and C are
    expect(s.missed).toBe(1); // C
    expect(s.falseChanges).toBe(2); // B at 10 s (2 s before B's visit is 18 s) and the A after it
  });
});

describe('Scorer', () => {
  it("ends each subject's timelines at its own last observation", () => {
    const s = new Scorer();
    for (let t = 0; t <= 10_000; t += 500) s.observe('short', t, 'A', t < 5000 ? 'B' : 'A');
    for (let t = 0; t <= 100_000; t += 500) s.observe('long', t, 'A', 'A');
    // short: wrong 0–5 s of 10 s; long: right 100 s. Stretching short to 100 s would give 0.975.
    expect(s.result().zoneAccuracy).toBeCloseTo(105 / 110);
  });
});

describe('naive baseline on real scanners', () => {
  it("groups one advert's receptions within a tolerance, not by identical timestamp", () => {
    const p = naivePlacer({
      name: 'x',
      scanners: [
        { id: 'a', zone: 'A' },
        { id: 'b', zone: 'B' },
      ],
      tracks: [],
      zones: ['A', 'B'],
    });
    p.ingest('a', -60, 1000);
    p.ingest('b', -80, 1002); // the same advert, stamped 2 ms later by the other scanner
    p.evaluate(1500);
    expect(p.zone()).toBe('A');
  });
});
