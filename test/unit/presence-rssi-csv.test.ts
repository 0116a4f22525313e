/**
 * The one RSSI CSV parser (gateway/adapters/presence/rssi-csv.ts): a calibration walk for
 * `trouw-gateway radio-map`, and the accuracy bench's replay (firmware-sim/store/replay.ts),
 * which now uses it.
 */
import { describe, expect, it } from 'vitest';
import { parseRssiCsv, RssiCsvError } from '../../gateway/adapters/presence/rssi-csv';
import { parseReplayCsv } from '../../firmware-sim/store/replay';
import { StoreSim } from '../../firmware-sim/store/store-sim';
import { surveyCsv, surveyWalk } from '../../firmware-sim/store/survey';

describe('RSSI CSV', () => {
  it('reads time in seconds or ms, zone or true_zone, optional device; sorts by time; empty zone is none', () => {
    const walk = parseRssiCsv('# a walk\ntime,scanner,rssi,zone\n1.5,a1,-60,A\n\n0.5,b1,-70.5,B\n2,a1,-80,\n');
    expect(walk).toEqual([
      { t: 500, device: 'device', scanner: 'b1', rssi: -70.5, zone: 'B' },
      { t: 1500, device: 'device', scanner: 'a1', rssi: -60, zone: 'A' },
      { t: 2000, device: 'device', scanner: 'a1', rssi: -80, zone: null },
    ]);
    const ms = parseRssiCsv('time_ms,device,scanner,rssi,true_zone\r\n100,tag-1,s1,-55,z1\r\n');
    expect(ms).toEqual([{ t: 100, device: 'tag-1', scanner: 's1', rssi: -55, zone: 'z1' }]);
  });

  it('names the line and the problem', () => {
    const fails = (text: string) => {
      try {
        parseRssiCsv(text);
      } catch (e) {
        expect(e).toBeInstanceOf(RssiCsvError);
        return (e as Error).message;
      }
      throw new Error('parsed');
    };
    expect(fails('')).toBe('empty file (expected a header line)');
    expect(fails('time,scanner,rssi\n1,a,-60\n')).toBe('line 1: need columns time (or time_ms), scanner, rssi, zone (or true_zone); got time,scanner,rssi');
    expect(fails('time,scanner,rssi,zone\n1,a,-60,A\n2,a,loud,A\n')).toBe('line 3: bad rssi "loud"');
    expect(fails('# comment\ntime,scanner,rssi,zone\n,a,-60,A\n')).toBe('line 3: bad time ""');
    expect(fails('time,scanner,rssi,zone\n1,,-60,A\n')).toBe('line 2: no scanner');
  });

  it('replay uses it: rows named for scoring, errors prefixed', () => {
    const rows = parseReplayCsv('time,scanner,rssi,true_zone,device\n0,a1,-60,A,p\n0,b1,-80,A,p\n1,a1,-85,B,p\n1,b1,-62,B,p\n2,a1,-90,,p\n');
    expect(rows[0]).toEqual({ t: 0, device: 'p', scanner: 'a1', rssi: -60, trueZone: 'A' });
    expect(rows.at(-1)!.trueZone).toBeNull();
    expect(() => parseReplayCsv('time,scanner,rssi\n')).toThrow(/^replay: line 1: need columns/);
  });

  it("reads the public recordings' columns as they are, absolute Unix seconds included", () => {
    const rows = parseRssiCsv(
      't_seconds,scanner_id,rssi_dbm,true_x,true_y,true_zone,true_margin_m\n1581249601.4090,sensor10,-87,18.031,8.465,g4,0.66\n1581249601.4103,sensor40,-77,18.031,8.465,,\n',
    );
    expect(rows.map((r) => ({ ...r, t: Math.round(r.t * 10) / 10 }))).toEqual([
      { t: 1581249601409, device: 'device', scanner: 'sensor10', rssi: -87, zone: 'g4' },
      { t: 1581249601410.3, device: 'device', scanner: 'sensor40', rssi: -77, zone: null },
    ]);
  });

  it('reads the simulated calibration walk as written (survey.ts)', () => {
    const sim = new StoreSim({ seed: 3, shoppers: 0 });
    const walk = surveyWalk(sim.plan, sim.radio, { laneM: 4 });
    const rows = parseRssiCsv(surveyCsv(walk));
    expect(rows).toHaveLength(walk.length);
    expect(rows[0]).toEqual({ t: walk[0]!.t, device: 'survey', scanner: walk[0]!.scanner, rssi: walk[0]!.rssi, zone: walk[0]!.zone });
  });
});
