/**
 * The calibration walk recorder (app/presence/presence-calibration.ts) and finishing it
 * (app/presence/presence-calibration-map.ts): only the reference tag's reports are kept, labelled
 * with the zone being walked; the row cap, the timeout, one session at a time; the CSV reads
 * back with the one RSSI parser; the map is checked and written atomically.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '../../gateway/api/build-api';
import { createStaffSessions } from '../../gateway/app/members/staff-sessions';
import { systemClock } from '../../gateway/ports/clock';
import pino from 'pino';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';
import { presenceCalibrationRoutes } from '../../gateway/api/presence-calibration-routes';
import { parseRssiCsv } from '../../gateway/adapters/presence/rssi-csv';
import { createCalibrationRecorder, type CalibrationRecorder } from '../../gateway/app/presence/presence-calibration';
import { buildCalibrationMap, calibrationMapPath, finishCalibration } from '../../gateway/app/presence/presence-calibration-map';
import { readRadioMapFile } from '../../gateway/config/radio-map-file';
import type { FingerprintParams } from '../../gateway/core/presence/params';
import type { Advert } from '../../gateway/ports/ble-scanner';

const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
const OTHER_UUID = 'a0a0a0a0-0000-0000-0000-000000000001';
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const md = (uuid: string, major: number, minor: number) => iBeaconAdData(uuid, major, minor, -59).subarray(5);
const REF = md(PROGRAM, 65000, 1);
const OTHER_TAG = md(PROGRAM, 65520, 1);
const PHONE = md(PROGRAM, 0x0012, 0x0034);
const SAME_IDS_OTHER_UUID = md(OTHER_UUID, 65000, 1);
const NOT_IBEACON = Uint8Array.of(0x75, 0x00, 0x42, 0x04, 0x01, 0x80);

const clock = {
  t: T0,
  now() {
    return this.t;
  },
  monotonic() {
    return this.t;
  },
};
const lines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
let active: boolean[] = [];

function recorder(o: { maxRows?: number; timeoutMs?: number } = {}): CalibrationRecorder {
  clock.t = T0;
  active = [];
  return createCalibrationRecorder({
    clock,
    logger,
    scanners: ['sa', 'sb'],
    zones: ['A', 'B'],
    tags: [
      { id: 'ref-1', uuid: PROGRAM, major: 65000, minor: 1 },
      { id: 'trolley-1', uuid: PROGRAM, major: 65520, minor: 1 },
    ],
    onActive: (on) => active.push(on),
    ...o,
  });
}
const advert = (scanner: string, rssi: number, manufacturerData: Uint8Array, at = clock.t): Advert => ({ scanner, rssi, manufacturerData, at });
const ok = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T => {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
};

describe('calibration recorder', () => {
  it('keeps the reference tag only: no other tag, phone, other UUID, non-beacon or unknown scanner', () => {
    const r = recorder();
    ok(r.start('ref-1'));
    expect(active).toEqual([true]);
    ok(r.setZone('A'));
    clock.t += 100;
    r.record([
      advert('sa', -60, REF),
      advert('sb', -80, REF),
      advert('sa', -33, PHONE),
      advert('sa', -34, OTHER_TAG),
      advert('sa', -35, SAME_IDS_OTHER_UUID),
      advert('sa', -36, NOT_IBEACON),
      advert('sx', -37, REF),
    ]);
    const s = ok(r.status());
    expect(s).toMatchObject({
      tag: 'ref-1',
      zone: 'A',
      rows: 2,
      rowsPerZone: { A: 2, B: 0 },
      unlabelledRows: 0,
      rowsPerScanner: { sa: 1, sb: 1 },
      elapsedMs: 100,
      full: false,
    });
    const csv = [...ok(r.csv())].join('');
    expect(csv).toBe('time_ms,scanner,rssi,zone\n100,sa,-60,A\n100,sb,-80,A\n');
    for (const x of ['-33', '-34', '-35', '-36', '-37', 'sx']) expect(csv).not.toContain(x);
    expect(lines.join('')).not.toMatch(/-60|-80|-33/);
  });

  it('labels rows with the zone being walked; null is between zones; the CSV reads back with the RSSI parser', () => {
    const r = recorder();
    ok(r.start('ref-1'));
    r.record([advert('sa', -70, REF)]);
    ok(r.setZone('A'));
    clock.t += 1000;
    r.record([advert('sa', -60, REF)]);
    ok(r.setZone(null));
    clock.t += 1000;
    r.record([advert('sb', -75, REF)]);
    ok(r.setZone('B'));
    clock.t += 1000;
    r.record([advert('sb', -65, REF), advert('sa', -85, REF)]);
    expect(r.setZone('C')).toMatchObject({ ok: false, error: { error: 'unknown-zone', message: 'zone C is not configured (zones: A, B)' } });
    expect(ok(r.status())).toMatchObject({ zone: 'B', rows: 5, rowsPerZone: { A: 1, B: 2 }, unlabelledRows: 2 });
    const parsed = parseRssiCsv([...ok(r.csv())].join(''));
    expect(parsed.map((x) => [x.t, x.scanner, x.rssi, x.zone])).toEqual([
      [0, 'sa', -70, null],
      [1000, 'sa', -60, 'A'],
      [2000, 'sb', -75, null],
      [3000, 'sb', -65, 'B'],
      [3000, 'sa', -85, 'B'],
    ]);
    expect(ok(r.rows()).rows).toEqual(parsed.map(({ t, scanner, rssi, zone }) => ({ t, scanner, rssi, zone })));
  });

  it('one session at a time; an unknown tag and no session are errors', () => {
    const r = recorder();
    expect(r.status()).toMatchObject({ ok: false, error: { error: 'no-calibration' } });
    expect(r.setZone('A')).toMatchObject({ ok: false, error: { error: 'no-calibration' } });
    expect(r.start('nope')).toMatchObject({
      ok: false,
      error: { error: 'unknown-tag', message: 'tag nope is not configured (presence.tags: ref-1, trolley-1)' },
    });
    ok(r.start('ref-1'));
    expect(r.start('trolley-1')).toMatchObject({ ok: false, error: { error: 'calibration-running' } });
    expect(ok(r.end('discarded'))).toEqual({ tag: 'ref-1', rows: 0 });
    expect(r.active).toBe(false);
    expect(active).toEqual([true, false]);
    ok(r.start('trolley-1'));
  });

  it('stops recording at the row cap and says so', () => {
    const r = recorder({ maxRows: 5 });
    ok(r.start('ref-1'));
    ok(r.setZone('A'));
    for (let i = 0; i < 4; i++) r.record([advert('sa', -60, REF), advert('sb', -70, REF)]);
    const s = ok(r.status());
    expect(s).toMatchObject({ rows: 5, maxRows: 5, full: true });
    expect(r.setZone('B')).toMatchObject({ ok: false, error: { error: 'calibration-full', message: expect.stringContaining('5 rows') } });
    expect(ok(r.rows()).rows).toHaveLength(5);
  });

  it('times out: the session and its rows are dropped, the tap detached, the next request told why', () => {
    const r = recorder({ timeoutMs: 60_000 });
    ok(r.start('ref-1'));
    r.record([advert('sa', -60, REF)]);
    clock.t = T0 + 59_999;
    expect(ok(r.status()).expiresInMs).toBe(1);
    clock.t = T0 + 60_000;
    r.record([advert('sa', -60, REF)]);
    expect(active).toEqual([true, false]);
    const st = r.status();
    expect(st).toMatchObject({ ok: false, error: { error: 'no-calibration', message: expect.stringContaining('timed out after 1 min') } });
    expect(r.status()).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^no calibration is being recorded/) } });
    ok(r.start('ref-1'));
  });
});

describe('finishing a calibration', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  const walk = (r: CalibrationRecorder, zone: string, sa: number, sb: number) => {
    ok(r.setZone(zone));
    for (let i = 0; i < 20; i++) {
      clock.t += 200;
      r.record([advert('sa', sa + (i % 3), REF), advert('sb', sb - (i % 2), REF)]);
    }
  };

  it('refuses a map with a zone not walked (422 naming it), keeps the recording, then writes atomically and applies', () => {
    dir = mkdtempSync(join(tmpdir(), 'trouw-calibration-'));
    const r = recorder();
    const applied: FingerprintParams[] = [];
    const deps = {
      recorder: r,
      scanners: ['sa', 'sb'],
      zones: ['A', 'B'],
      radioMap: undefined,
      databasePath: join(dir, 'g.db'),
      clock,
      logger,
      applyRadioMap: (fp: FingerprintParams) => void applied.push(fp),
    };
    ok(r.start('ref-1'));
    walk(r, 'A', -60, -90);
    const incomplete = finishCalibration(deps, true);
    expect(incomplete).toMatchObject({
      ok: false,
      error: { error: 'radio-map-incomplete', missingZones: ['B'], message: expect.stringContaining('no points for zone(s) B') },
    });
    expect(r.active).toBe(true);
    walk(r, 'B', -70, -75);
    const done = ok(finishCalibration(deps, true));
    expect(done).toMatchObject({ file: join(dir, 'radio-map.json'), configured: false, applied: true, rows: 80, used: 80, scanners: ['sa', 'sb'] });
    expect(done.pointsPerZone.A).toBeGreaterThan(0);
    expect(done.note).toMatch(/set presence\.radioMap\.file/);
    expect(readRadioMapFile(done.file).points).toHaveLength(done.points);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(applied).toHaveLength(1);
    expect(applied[0]!.k).toBe(3);
    expect(r.active).toBe(false);
  });

  it('writes to presence.radioMap.file when configured, with its k; a bad directory is an error that keeps the recording', () => {
    expect(calibrationMapPath({ file: '/etc/trouw/map.json', k: 5, levelPerMisfitDb: 4, windowMs: 3000 }, '/var/lib/trouw/g.db')).toEqual({
      file: '/etc/trouw/map.json',
      configured: true,
    });
    expect(calibrationMapPath(undefined, '/var/lib/trouw/g.db')).toEqual({ file: '/var/lib/trouw/radio-map.json', configured: false });
    const rows = [0, 100, 2000, 2100].flatMap((t) => [
      { t, scanner: 'sa', rssi: -60, zone: t < 2000 ? 'A' : 'B' },
      { t, scanner: 'sb', rssi: -80, zone: t < 2000 ? 'A' : 'B' },
    ]);
    const built = buildCalibrationMap({
      tag: 'ref-1',
      rows,
      scanners: ['sa', 'sb'],
      zones: ['A', 'B'],
      radioMap: { file: '/x/map.json', k: 5, levelPerMisfitDb: 4, windowMs: 2500 },
      databasePath: 'g.db',
      now: T0,
    });
    expect(ok(built)).toMatchObject({
      file: '/x/map.json',
      configured: true,
      fingerprint: { k: 5, levelPerMisfitDb: 4, windowMs: 2500 },
      pointsPerZone: { A: 1, B: 1 },
    });

    const r = recorder();
    ok(r.start('ref-1'));
    walk(r, 'A', -60, -90);
    walk(r, 'B', -70, -75);
    const res = finishCalibration(
      {
        recorder: r,
        scanners: ['sa', 'sb'],
        zones: ['A', 'B'],
        radioMap: { file: '/nonexistent-dir/map.json', k: 3, levelPerMisfitDb: 5, windowMs: 3000 },
        databasePath: 'g.db',
        clock,
        logger,
        applyRadioMap: () => {
          throw new Error('not applied when not written');
        },
      },
      true,
    );
    expect(res).toMatchObject({ ok: false, error: { error: 'radio-map-not-written', message: expect.stringContaining('/nonexistent-dir/map.json (ENOENT)') } });
    expect(r.active).toBe(true);
    expect(existsSync('/nonexistent-dir')).toBe(false);
  });
});

describe('calibration routes', () => {
  it('refuses to start while presence is off, and every request without a store-IT token', async () => {
    const app = await buildApi({
      health: () => {
        throw new Error('unused');
      },
      ready: () => true,
      staff: createStaffSessions({ clock: systemClock, adminToken: 'it' }),
    });
    const r = recorder();
    await app.register(presenceCalibrationRoutes, {
      recorder: r,
      active: false,
      finish: () => ({ ok: false, error: { error: 'no-calibration', message: 'x' } }),
    });
    expect((await app.inject({ method: 'GET', url: '/api/presence/calibration/survey.csv' })).statusCode).toBe(401);
    const off = await app.inject({ method: 'POST', url: '/api/presence/calibration', payload: { tag: 'ref-1' }, headers: { authorization: 'Bearer it' } });
    expect(off.statusCode).toBe(409);
    expect(off.json().error).toBe('presence-off');
    expect(r.active).toBe(false);
    await app.close();
  });
});
