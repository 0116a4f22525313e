/**
 * The radio map as store IT meets it: `trouw-gateway radio-map` on a walk's CSV, then
 * `check-config` and `start` with `presence.radioMap.file` pointing at a good map, a map
 * that does not fit the scanners, and no map at all (exit 2, one line naming the file).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

const BIN = resolve(import.meta.dirname, '../../bin/trouw-gateway.mjs');
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

/** Two zones walked for 4 s each, a pause between them (no zone), a second device heard once. */
const WALK = [
  'time,scanner,rssi,zone,device',
  ...[0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5].flatMap((t) => [`${t},sa,${-60 - (t % 1)},A,ref`, `${t},sb,-84,A,ref`]),
  '5,sa,-75,,ref',
  ...[6, 6.5, 7, 7.5, 8, 8.5, 9, 9.5].flatMap((t) => [`${t},sa,-73,B,ref`, `${t},sb,${-65 + (t % 1)},B,ref`]),
].join('\n');

const config = (mapFile: string, scanners = ['sa', 'sb']) =>
  [
    'database: { path: ":memory:" }',
    'presence:',
    '  scanners:',
    ...scanners.map((s, i) => `    - { name: ${s}, zone: ${'AB'[i]}, port: /dev/ttyACM${i} }`),
    `  radioMap: { file: ${mapFile}, k: 2 }`,
    '',
  ].join('\n');

describe('trouw-gateway radio-map and presence.radioMap', () => {
  it('builds a map from a walk; check-config accepts it, and refuses a bad or missing one with exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trouw-radio-map-'));
    const csv = join(dir, 'walk.csv');
    writeFileSync(csv, WALK);

    const built = cli(['radio-map', csv, '--out', join(dir, 'map.json'), '--bin-ms', '2000']);
    expect(built.stderr).toContain('radio map: 4 points from 32 of 33 rows');
    expect(built.stderr).toContain('points per zone: A 2, B 2');
    expect(built.stderr).toContain('scanners (2): sa, sb');
    expect(built.status).toBe(0);
    expect(built.stdout).toBe('');
    const map = JSON.parse(readFileSync(join(dir, 'map.json'), 'utf8'));
    expect(map).toMatchObject({ version: 1, scanners: ['sa', 'sb'], source: csv });
    expect(map.points[0]).toEqual({ zone: 'A', levels: [-60.2, -84] });
    // Without --out: the map on stdout, the summary still on stderr.
    const piped = cli(['radio-map', csv]);
    expect(piped.status).toBe(0);
    expect(JSON.parse(piped.stdout).points).toEqual(map.points);

    // Relative to the config file.
    const good = join(dir, 'good.yaml');
    writeFileSync(good, config('map.json'));
    const ok = cli(['check-config', '--config', good], { TROUW_CONFIG: '' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`presence: zones by radio map ${join(dir, 'map.json')} (4 points in 2 zones, 2 scanners)`);

    const other = join(dir, 'other.yaml');
    writeFileSync(other, config('map.json', ['sa', 'sc']));
    const bad = cli(['check-config', '--config', other]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(`radio map ${join(dir, 'map.json')} (presence.radioMap.file): scanner sb is not configured`);

    const missing = join(dir, 'missing.yaml');
    writeFileSync(missing, config('walk-map.json'));
    const gone = cli(['check-config', '--config', missing]);
    expect(gone.status).toBe(2);
    expect(gone.stderr.trim()).toBe(
      `radio map ${join(dir, 'walk-map.json')} (presence.radioMap.file): cannot read it (ENOENT); build it with \`trouw-gateway radio-map\``,
    );

    // doctor names it with a fix.
    const doctor = cli(['doctor', '--config', other], { TROUW_HTTP__PORT: '0' });
    expect(doctor.stdout).toContain(`✖ radio map: radio map ${join(dir, 'map.json')} (presence.radioMap.file): scanner sb is not configured`);
    expect(doctor.stdout).toMatch(/fix: record a calibration walk and run `trouw-gateway radio-map/);

    // start fails the same way, before it opens the database.
    const notJson = join(dir, 'not-json.yaml');
    writeFileSync(join(dir, 'broken.json'), '{ "version": 1,');
    writeFileSync(notJson, config('broken.json').replace('":memory:"', join(dir, 'g.db')));
    const start = cli(['start', '--config', notJson]);
    expect(start.status).toBe(2);
    expect(start.stderr.trim()).toMatch(new RegExp(`^radio map ${join(dir, 'broken.json')} \\(presence.radioMap.file\\): not valid JSON \\(.+\\)$`));
    expect(existsSync(join(dir, 'g.db'))).toBe(false);
  });

  it('radio-map: exit 2 and one line for a recording it cannot use', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trouw-radio-map-'));
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'time,scanner,rssi,zone\n0,sa,-60,A\n1,sa,,A\n');
    const r = cli(['radio-map', csv]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe(`radio-map: ${csv}: line 3: bad rssi ""`);
    const noZone = join(dir, 'nozone.csv');
    writeFileSync(noZone, 'time,scanner,rssi,zone\n0,sa,-60,\n');
    expect(cli(['radio-map', noZone]).stderr.trim()).toBe(`radio-map: ${noZone}: no points (no rows with a zone)`);
    expect(cli(['radio-map', join(dir, 'nope.csv')]).stderr.trim()).toBe(`radio-map: ${join(dir, 'nope.csv')}: cannot read it (ENOENT)`);
    expect(cli(['radio-map']).status).toBe(2);
    expect(cli(['radio-map', csv, '--bin-ms', 'soon']).status).toBe(2);
    expect(cli(['--help']).stdout).toContain('radio-map <survey.csv> [--out map.json] [--bin-ms 2000]');
  });
});
