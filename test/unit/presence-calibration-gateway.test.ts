/**
 * Recording a calibration walk in a running gateway (simulated BLE driver, in-process
 * scanners): store IT starts a session for a reference tag over HTTP, labels two zones while
 * the tag walks through them, finishes with apply=true; the map file is written next to the
 * database, reads back with the radio-map file reader, and the engine places a tag by it at
 * once (zone B, where zone A's own scanner is loudest). A member's phone advertising all the
 * while is nowhere in the recording.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { parseRssiCsv } from '../../gateway/adapters/presence/rssi-csv';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { readRadioMapFile } from '../../gateway/config/radio-map-file';
import { validateConfig } from '../../gateway/config/load';
import { epochOf } from '../../gateway/core/presence/token';

const ADMIN = 'admin-token-0123456789';
const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const md = (major: number, minor: number) => iBeaconAdData(PROGRAM, major, minor, -59).subarray(5);
const REF = md(65000, 1);
const TROLLEY = md(65520, 1);
const PHONE = md(0x0012, 0x0034);
/** The phone is heard at a level the reference tag never is, so any leak would show. */
const PHONE_RSSI = -41;

describe('calibration walk recorded through the gateway', () => {
  let gw: RunningGateway;
  let dir: string;
  const logLines: string[] = [];
  const clock = {
    t: T0,
    now() {
      return this.t;
    },
    monotonic() {
      return this.t;
    },
  };

  const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, token: string | null = ADMIN) =>
    gw.api.inject({ method, url, ...(payload !== undefined && { payload: payload as object }), headers: token ? { authorization: `Bearer ${token}` } : {} });
  const settle = () => new Promise((r) => setImmediate(r));

  /** 10 s in a zone: the reference tag every 200 ms at both scanners, the member's phone too. */
  async function walk(sa: number, sb: number, device = REF) {
    for (let i = 0; i < 50; i++) {
      clock.t += 200;
      gw.presence.simulated!.push(
        { scanner: 'sa', rssi: sa + (i % 3), manufacturerData: device },
        { scanner: 'sb', rssi: sb - (i % 2), manufacturerData: device },
        { scanner: 'sa', rssi: PHONE_RSSI, manufacturerData: PHONE },
      );
      await settle();
    }
  }

  /** Where the engine puts the trolley tag heard louder by zone A's scanner than by B's. */
  async function placeTrolley(): Promise<string | undefined> {
    for (let i = 0; i < 40; i++) {
      clock.t += 200;
      gw.presence.simulated!.push(
        { scanner: 'sa', rssi: -65 + (i % 3), manufacturerData: TROLLEY },
        { scanner: 'sb', rssi: -72 - (i % 2), manufacturerData: TROLLEY },
      );
      await settle();
      if (i % 3 === 0) gw.presence.tick();
    }
    return gw.presence.occupancy().zones.find((z) => z.tags > 0)?.zone;
  }

  beforeEach(async () => {
    clock.t = T0;
    dir = mkdtempSync(join(tmpdir(), 'trouw-calibration-gw-'));
    const e = epochOf(T0);
    const config = validateConfig({
      database: { path: join(dir, 'g.db') },
      http: { adminToken: ADMIN },
      presence: {
        driver: 'simulated',
        scanners: [
          { name: 'sa', zone: 'A', port: '/sim/a' },
          { name: 'sb', zone: 'B', port: '/sim/b' },
        ],
        tags: [
          { id: 'ref-1', major: 65000, minor: 1 },
          { id: 'trolley-1', major: 65520, minor: 1 },
        ],
        tokens: [e - 1, e, e + 1].map((epoch) => ({ member: 'M-1', epoch, token: '00120034' })),
        defaults: { windowMs: 3000, enterTimeMs: 1000 },
      },
    });
    const logger = createLogger(
      { level: 'debug' },
      new Writable({
        write: (c, _e, cb) => {
          logLines.push(String(c));
          cb();
        },
      }),
    );
    gw = await startGateway(config, { logger, clock, listen: false });
  });
  afterEach(async () => {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records two zones over HTTP, writes the map, and the engine places by it without a restart; the phone is nowhere', async () => {
    expect(await placeTrolley()).toBe('A');

    expect((await api('POST', '/api/presence/calibration', { tag: 'ref-1' }, null)).statusCode).toBe(401);
    expect((await api('POST', '/api/presence/calibration', { tag: 'ref-1' }, 'wrong-token')).statusCode).toBe(401);
    expect((await api('GET', '/api/presence/calibration')).json()).toMatchObject({ error: 'no-calibration' });
    const unknown = await api('POST', '/api/presence/calibration', { tag: 'nope' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toEqual({ error: 'unknown-tag', message: 'tag nope is not configured (presence.tags: ref-1, trolley-1)' });
    expect((await api('POST', '/api/presence/calibration', { tag: 5 })).statusCode).toBe(400);
    expect((await api('PUT', '/api/presence/calibration/zone', { zone: 'A' })).statusCode).toBe(404);

    const started = await api('POST', '/api/presence/calibration', { tag: 'ref-1' });
    expect(started.statusCode).toBe(201);
    expect(started.json()).toMatchObject({ tag: 'ref-1', zone: null, rows: 0 });
    expect((await api('POST', '/api/presence/calibration', { tag: 'trolley-1' })).statusCode).toBe(409);

    await walk(-75, -75); // walking to the first zone: not labelled
    expect((await api('PUT', '/api/presence/calibration/zone', { zone: 'A' })).json()).toMatchObject({ zone: 'A' });
    await walk(-60, -90);
    const badZone = await api('PUT', '/api/presence/calibration/zone', { zone: 'C' });
    expect(badZone.statusCode).toBe(400);
    expect(badZone.json().error).toBe('unknown-zone');
    expect((await api('PUT', '/api/presence/calibration/zone', {})).statusCode).toBe(400);

    const early = await api('POST', '/api/presence/calibration/finish', { apply: true });
    expect(early.statusCode).toBe(422);
    expect(early.json()).toMatchObject({ error: 'radio-map-incomplete', missingZones: ['B'] });

    expect((await api('PUT', '/api/presence/calibration/zone', { zone: null })).json()).toMatchObject({ zone: null });
    await walk(-72, -80);
    await api('PUT', '/api/presence/calibration/zone', { zone: 'B' });
    // Zone B's shadowing: zone A's scanner a little louder than B's own.
    await walk(-70, -75);

    const status = (await api('GET', '/api/presence/calibration')).json();
    expect(status).toMatchObject({
      tag: 'ref-1',
      zone: 'B',
      rows: 400,
      rowsPerZone: { A: 100, B: 100 },
      unlabelledRows: 200,
      rowsPerScanner: { sa: 200, sb: 200 },
      elapsedMs: 40_000,
    });

    const csvRes = await api('GET', '/api/presence/calibration/survey.csv');
    expect(csvRes.statusCode).toBe(200);
    expect(csvRes.headers['content-type']).toMatch(/^text\/csv/);
    const rows = parseRssiCsv(csvRes.body);
    expect(rows).toHaveLength(400);
    expect(rows.filter((r) => r.zone === 'A')).toHaveLength(100);
    // Privacy: the member's phone was heard all along and is in none of the rows.
    expect(rows.some((r) => r.rssi === PHONE_RSSI)).toBe(false);
    expect(csvRes.body).not.toContain(String(PHONE_RSSI));
    expect(csvRes.body).not.toContain('M-1');

    const finished = await api('POST', '/api/presence/calibration/finish', { apply: true });
    expect(finished.statusCode).toBe(200);
    const f = finished.json();
    expect(f).toMatchObject({ file: join(dir, 'radio-map.json'), configured: false, applied: true, rows: 400, used: 200, scanners: ['sa', 'sb'] });
    expect(f.note).toContain('presence.radioMap.file');
    expect(existsSync(f.file)).toBe(true);
    const map = readRadioMapFile(f.file);
    expect(new Set(map.points.map((p) => p.zone))).toEqual(new Set(['A', 'B']));
    expect(map.points).toHaveLength(f.points);
    expect(JSON.stringify(map)).not.toContain(String(PHONE_RSSI));

    expect((await api('GET', '/api/presence/calibration')).statusCode).toBe(404);
    // Placed by the map now: zone B, although zone A's own scanner hears the trolley loudest.
    clock.t += 60_000; // the trolley's old samples age out
    expect(await placeTrolley()).toBe('B');

    const logs = logLines.join('');
    expect(logs).toContain('calibration finished; radio map written');
    expect(logs).not.toContain(String(PHONE_RSSI));
    expect(logs).not.toMatch(/"rssi"/);
  });

  it('discards a session; finish without a session is a 404; the body of finish may be empty', async () => {
    expect((await api('POST', '/api/presence/calibration', { tag: 'ref-1' })).statusCode).toBe(201);
    await walk(-60, -90);
    const gone = await api('DELETE', '/api/presence/calibration');
    expect(gone.json()).toEqual({ discarded: true, tag: 'ref-1', rows: 100 });
    expect((await api('DELETE', '/api/presence/calibration')).statusCode).toBe(404);
    const none = await api('POST', '/api/presence/calibration/finish', {});
    expect(none.statusCode).toBe(404);
    expect(none.json().message).toMatch(/no calibration is being recorded/);
    expect((await api('POST', '/api/presence/calibration/finish')).statusCode).toBe(404);
  });
});
