/**
 * The zone state machine with an injected clock (no timers, no thresholds on wall time):
 * enter level and time, switch margin and time, exit level and time, per zone.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ZONE_PARAMS, type ZoneParams } from '../../gateway/core/presence/params';
import { ZoneTracker, type ZoneTransition } from '../../gateway/core/presence/zone-tracker';

const P: ZoneParams = {
  ...DEFAULT_ZONE_PARAMS,
  enterLevelDbm: -80,
  enterTimeMs: 2000,
  switchMarginDb: 5,
  switchTimeMs: 3000,
  exitLevelDbm: -90,
  exitTimeMs: 10_000,
};

/** Runs the tracker every 500 ms over `ms`, with levels given by `levels(t)`. */
function run(tr: ZoneTracker, from: number, ms: number, levels: (t: number) => Record<string, number>): ZoneTransition[] {
  const out: ZoneTransition[] = [];
  for (let t = from; t <= from + ms; t += 500) tr.step(new Map(Object.entries(levels(t))), t, out);
  return out;
}

const show = (xs: ZoneTransition[]) => xs.map((x) => (x.type === 'entered' ? `+${x.zone}@${x.at}` : `-${x.zone}@${x.at}(${x.reason})`));

describe('ZoneTracker', () => {
  it('enters the strongest zone once it stands clear of the runner-up for enterTimeMs', () => {
    const tr = new ZoneTracker(() => P);
    expect(show(run(tr, 0, 5000, () => ({ A: -70, B: -75 })))).toEqual(['+A@2000']);
  });

  it('in a near tie, enters the strongest only once it has stayed so for 3 × enterTimeMs', () => {
    const tr = new ZoneTracker(() => P);
    expect(show(run(tr, 0, 10_000, () => ({ A: -70, B: -71 })))).toEqual(['+A@6000']);
  });

  it('does not enter below the enter level, whatever the time', () => {
    const tr = new ZoneTracker(() => P);
    expect(run(tr, 0, 60_000, () => ({ A: -81, B: -85 }))).toEqual([]);
  });

  it('restarts the enter timer when the strongest zone changes', () => {
    const tr = new ZoneTracker(() => P);
    expect(show(run(tr, 0, 6000, (t) => (t < 1500 ? { A: -70, B: -75 } : { A: -75, B: -70 })))).toEqual(['+B@3500']);
  });

  it('switches after switchTimeMs at 1.5 margins, sooner further above, never within the margin', () => {
    const tr = new ZoneTracker(() => P);
    run(tr, 0, 3000, () => ({ A: -65, B: -75 }));
    // B 4 dB above A: within the 5 dB margin, never a switch.
    expect(run(tr, 3500, 60_000, () => ({ A: -65, B: -61 }))).toEqual([]);
    // B 7.5 dB above: evidence (7.5 − 5) dB × 3 s reaches (5 / 2) dB × 3 s.
    expect(show(run(tr, 64_000, 10_000, () => ({ A: -65, B: -57.5 })))).toEqual(['-A@66500(switch)', '+B@66500']);
    // Back to A from far above: the lead counts up to 3 margins, so in a quarter of the time.
    expect(show(run(tr, 74_500, 10_000, () => ({ A: -45, B: -60 })))).toEqual(['-B@75000(switch)', '+A@75000']);
  });

  it('brief excursions of a rival add little and fade: no switch', () => {
    const tr = new ZoneTracker(() => P);
    run(tr, 0, 3000, () => ({ A: -65, B: -75 }));
    // Half a second at 8 dB over A every 5 s; otherwise well below.
    expect(run(tr, 3500, 60_000, (t) => (t % 5000 === 0 ? { A: -65, B: -57 } : { A: -65, B: -75 }))).toEqual([]);
    expect(tr.zone).toBe('A');
  });

  it('does not detour: two rivals neck and neck wait until one stands clear', () => {
    const tr = new ZoneTracker(() => P);
    run(tr, 0, 3000, () => ({ A: -65 }));
    expect(run(tr, 3500, 20_000, () => ({ A: -65, B: -52, C: -53 }))).toEqual([]);
    expect(show(run(tr, 24_000, 5000, () => ({ A: -65, B: -52, C: -58 })))).toEqual(['-A@24000(switch)', '+B@24000']);
  });

  it('leaves for no zone after exitTimeMs below the exit level, dated from when it dropped', () => {
    const tr = new ZoneTracker(() => P);
    run(tr, 0, 3000, () => ({ A: -65 }));
    expect(show(run(tr, 3500, 20_000, () => ({ A: -92 })))).toEqual(['-A@3500(exit)']);
    expect(tr.zone).toBeNull();
  });

  it('stays between the exit and enter levels (hysteresis)', () => {
    const tr = new ZoneTracker(() => P);
    run(tr, 0, 3000, () => ({ A: -65 }));
    expect(run(tr, 3500, 60_000, () => ({ A: -85 }))).toEqual([]);
    expect(tr.zone).toBe('A');
  });

  it('uses each zone its own parameters', () => {
    const strict: ZoneParams = { ...P, enterLevelDbm: -68, switchMarginDb: 10 };
    const tr = new ZoneTracker((z) => (z === 'B' ? strict : P));
    run(tr, 0, 3000, () => ({ A: -70 }));
    expect(run(tr, 3500, 60_000, () => ({ A: -70, B: -69 }))).toEqual([]); // B below its own enter level
    expect(run(tr, 64_000, 60_000, () => ({ A: -70, B: -62 }))).toEqual([]); // within B's 10 dB margin
    expect(show(run(tr, 124_500, 10_000, () => ({ A: -70, B: -55 })))).toEqual(['-A@127000(switch)', '+B@127000']);
  });

  it('leave() closes the stay for absence, at the time given', () => {
    const tr = new ZoneTracker(() => P);
    run(tr, 0, 3000, () => ({ A: -65 }));
    const out: ZoneTransition[] = [];
    tr.leave(2500, 'absence', out);
    expect(show(out)).toEqual(['-A@2500(absence)']);
    tr.leave(9000, 'absence', out);
    expect(out).toHaveLength(1);
  });
});
