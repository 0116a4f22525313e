/**
 * Presence storage and the service around it: events, visits and daily aggregates with their
 * outbox rows in one transaction, retention purge, erasure, visits left open by a previous
 * run, the config section, health, and the occupancy route.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../gateway/api/build-api';
import { createStaffSessions } from '../../gateway/app/members/staff-sessions';
import pino from 'pino';
import { iBeaconAdData } from '../../firmware-sim/hci/h4';
import { createPresenceRepo } from '../../gateway/adapters/sqlite/presence-repo';
import { createOutboxWriter } from '../../sync/gateway/outbox-writer';
import { presenceConfigFrom, acceptPrefixes } from '../../gateway/app/presence/presence-config';
import { presenceOutboxEvent } from '../../gateway/app/presence/presence-outbox';
import { createPresenceService } from '../../gateway/app/presence/presence-service';
import { presenceRoutes } from '../../gateway/api/presence-routes';
import { validateConfig } from '../../gateway/config/load';
import { presenceCrossChecks, zoneParams } from '../../gateway/config/presence-schema';
import type { PresenceEvent } from '../../gateway/core/presence/events';
import { epochOf } from '../../gateway/core/presence/token';
import { validateUplinkEvent } from '../../sync/schemas/validate-event';
import { openTempDb, type TempDb } from './sqlite-helpers';

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
const m = (id: string) => ({ kind: 'member' as const, id });
let tmp: TempDb | undefined;
afterEach(() => tmp?.cleanup());

const visit: PresenceEvent[] = [
  { type: 'visit-started', visitId: 'V1', subject: m('M-1'), at: T0 },
  { type: 'zone-entered', visitId: 'V1', subject: m('M-1'), zone: 'A', at: T0 },
  { type: 'zone-left', visitId: 'V1', subject: m('M-1'), zone: 'A', enteredAt: T0, at: T0 + 60_000, dwellMs: 60_000, reason: 'switch' },
  { type: 'zone-entered', visitId: 'V1', subject: m('M-1'), zone: 'B', at: T0 + 60_000 },
];
const end: PresenceEvent[] = [
  { type: 'zone-left', visitId: 'V1', subject: m('M-1'), zone: 'B', enteredAt: T0 + 60_000, at: T0 + 90_000, dwellMs: 30_000, reason: 'absence' },
  {
    type: 'visit-ended',
    visitId: 'V1',
    subject: m('M-1'),
    startedAt: T0,
    at: T0 + 90_000,
    zones: [
      { zone: 'A', dwellMs: 60_000, entries: 1 },
      { zone: 'B', dwellMs: 30_000, entries: 1 },
    ],
    reason: 'unseen',
  },
];

function repo(db: TempDb['db']) {
  let n = 0;
  return createPresenceRepo(db, {
    timeZone: 'Europe/Amsterdam',
    toOutbox: (e, now) => presenceOutboxEvent(e, now, 86_400_000),
    outbox: createOutboxWriter(db, { newId: () => `01J000000000000000000000${String(n++).padStart(2, '0')}` }),
  });
}

describe('presence repository', () => {
  it('stores events, opens and closes the visit, adds daily aggregates, and queues one outbox row per event', () => {
    tmp = openTempDb();
    const r = repo(tmp.db);
    r.record(visit, T0 + 60_000);
    r.record(end, T0 + 90_000);
    expect(r.counts()).toEqual({ events: 6, visits: 1, daily: 3 });
    const v = tmp.db.prepare('SELECT * FROM presence_visits').get() as { subject: string; ended_at: number; zones: string };
    expect(v.subject).toBe('member:M-1');
    expect(v.ended_at).toBe(T0 + 90_000);
    expect(JSON.parse(v.zones)).toEqual([
      { zone: 'A', dwellMs: 60_000, entries: 1 },
      { zone: 'B', dwellMs: 30_000, entries: 1 },
    ]);
    const daily = tmp.db.prepare('SELECT day, zone, subject_kind AS kind, visits, entries, dwell_ms AS dwell FROM presence_daily ORDER BY zone').all();
    expect(daily).toEqual([
      { day: '2026-01-05', zone: '*', kind: 'member', visits: 1, entries: 0, dwell: 90_000 },
      { day: '2026-01-05', zone: 'A', kind: 'member', visits: 1, entries: 1, dwell: 60_000 },
      { day: '2026-01-05', zone: 'B', kind: 'member', visits: 1, entries: 1, dwell: 30_000 },
    ]);
    const outbox = tmp.db.prepare('SELECT type, priority, expires_at AS expiresAt, data FROM outbox ORDER BY seq').all() as Array<{
      type: string;
      priority: number;
      expiresAt: number;
      data: string;
    }>;
    expect(outbox.map((o) => o.type)).toEqual([
      'trouw.presence.visit-started.v1',
      'trouw.presence.zone-entered.v1',
      'trouw.presence.zone-left.v1',
      'trouw.presence.zone-entered.v1',
      'trouw.presence.zone-left.v1',
      'trouw.presence.visit-ended.v1',
    ]);
    expect(outbox.every((o) => o.priority > 1)).toBe(true);
    expect(outbox[0]!.expiresAt).toBe(T0 + 60_000 + 86_400_000);
    // Every row is an event HQ accepts (schema registered, envelope valid).
    for (const [i, o] of outbox.entries()) {
      const envelope = {
        specversion: '1.0',
        id: `01J00000000000000000000A${i.toString().padStart(2, '0')}`.slice(0, 26),
        source: '/stores/s1/gw-1',
        type: o.type,
        time: new Date(T0).toISOString(),
        datacontenttype: 'application/json',
        data: JSON.parse(o.data),
      };
      const r2 = validateUplinkEvent(`trouw/v1/s1/gw-1/evt/${o.type}`, JSON.stringify(envelope));
      expect(r2.ok ? 'ok' : r2.error).toBe('ok');
    }
  });

  it('writes a batch all or nothing', () => {
    tmp = openTempDb();
    const r = createPresenceRepo(tmp.db, {
      timeZone: 'UTC',
      toOutbox: (e) => {
        if (e.type === 'zone-left') throw new Error('outbox refused');
        return presenceOutboxEvent(e, T0, 1000);
      },
    });
    expect(() => r.record(visit, T0)).toThrow('outbox refused');
    expect(r.counts()).toEqual({ events: 0, visits: 0, daily: 0 });
    expect((tmp.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n).toBe(0);
  });

  it('purges detail older than the cutoff, keeps the aggregates, and erases a member', () => {
    tmp = openTempDb();
    const r = repo(tmp.db);
    r.record([...visit, ...end], T0);
    const other: PresenceEvent[] = [{ type: 'visit-started', visitId: 'V2', subject: m('M-2'), at: T0 + 3_600_000 }];
    r.record(other, T0);
    expect(r.purge(T0 + 1_000_000)).toEqual({ events: 6, visits: 1 });
    expect(r.counts()).toEqual({ events: 1, visits: 1, daily: 3 });
    expect(r.eraseMember('M-2')).toBe(2);
    expect(r.counts()).toEqual({ events: 0, visits: 0, daily: 3 });
  });

  it('lists visits a previous run left open, with the dwell of the stays that closed', () => {
    tmp = openTempDb();
    const r = repo(tmp.db);
    r.record(visit, T0);
    expect(r.openVisits()).toEqual([
      {
        visitId: 'V1',
        subject: m('M-1'),
        startedAt: T0,
        lastAt: T0 + 60_000,
        zones: [
          { zone: 'A', dwellMs: 60_000, entries: 1 },
          { zone: 'B', dwellMs: 0, entries: 1 },
        ],
      },
    ]);
  });
});

describe('presence config', () => {
  it('defaults to off without scanners, and validates as part of the gateway config', () => {
    const c = validateConfig({});
    expect(c.presence.scanners).toEqual([]);
    expect(c.presence.retentionHours).toBe(24);
    expect(c.presence.defaults.windowMs).toBeGreaterThan(0);
  });

  it('takes zone overrides over the defaults, and only those', () => {
    const p = presenceConfigFrom({
      defaults: { switchMarginDb: 5 },
      zones: [{ id: 'fresh', enterLevelDbm: -80 }],
      scanners: [
        { name: 's1', zone: 'fresh', port: '/dev/ttyACM0' },
        { name: 's2', zone: 'tills', port: '/dev/ttyACM1' },
      ],
    });
    expect(zoneParams(p, 'fresh')).toMatchObject({ enterLevelDbm: -80, switchMarginDb: 5 });
    expect(zoneParams(p, 'tills')).toMatchObject({ enterLevelDbm: p.defaults.enterLevelDbm, switchMarginDb: 5 });
    expect(p.zones[0]).toEqual({ id: 'fresh', enterLevelDbm: -80 });
  });

  it('names the key of a mistake', () => {
    expect(() => presenceConfigFrom({ scanners: [{ name: 's1', zone: 'a' }] })).toThrow(/presence|scanners\.0/);
    expect(() =>
      presenceConfigFrom({
        scanners: [
          { name: 's1', zone: 'a', port: '/dev/x' },
          { name: 's1', zone: 'b', port: '/dev/y' },
        ],
      }),
    ).toThrow(/scanners\.1\.name/);
    expect(() =>
      presenceConfigFrom({
        scanners: [
          { name: 's1', zone: 'a', port: '/dev/x' },
          { name: 's2', zone: 'b', port: '/dev/x' },
        ],
      }),
    ).toThrow(/scanners\.1/);
    expect(() => presenceConfigFrom({ defaults: { exitLevelDbm: -50, enterLevelDbm: -90 } })).toThrow(/defaults\.exitLevelDbm/);
    expect(() => presenceConfigFrom({ tokens: [{ member: 'M-1', epoch: 1, token: 'xyz' }] })).toThrow(/tokens\.0\.token/);
    expect(presenceCrossChecks(presenceConfigFrom({}))).toBeUndefined();
  });

  it('lets the scanner workers pass only program-UUID and tag iBeacons', () => {
    const p = presenceConfigFrom({ tags: [{ id: 'badge', uuid: 'a0a0a0a0-0000-0000-0000-000000000001', major: 1, minor: 1 }] });
    expect(acceptPrefixes(p).sort()).toEqual(['4c0002152f234454cf6d4a0fadf2f4911ba9ffa6', '4c000215a0a0a0a0000000000000000000000001'].sort());
  });
});

describe('presence service', () => {
  const clock = {
    t: T0,
    now() {
      return this.t;
    },
    monotonic() {
      return this.t;
    },
  };

  function service(tmpDb: TempDb, lines: string[]) {
    const e = epochOf(T0);
    const config = presenceConfigFrom({
      driver: 'simulated',
      scanners: [
        { name: 'sa', zone: 'A', port: '/sim/a' },
        { name: 'sb', zone: 'B', port: '/sim/b' },
      ],
      defaults: { windowMs: 3000, enterTimeMs: 1000, absenceTimeoutMs: 5000 },
      visitEndMs: 10_000,
      tokens: [e - 1, e, e + 1].map((epoch) => ({ member: 'M-1', epoch, token: '00120034' })),
    });
    const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
    return createPresenceService({ config, db: tmpDb.db, clock, logger, timeZone: 'UTC', outboxTtlMs: 3_600_000, timers: false });
  }

  it('is disabled without scanners, and says so in health', () => {
    tmp = openTempDb();
    const s = createPresenceService({
      config: presenceConfigFrom({}),
      db: tmp.db,
      clock,
      logger: pino({ level: 'silent' }),
      timeZone: 'UTC',
      outboxTtlMs: 1000,
    });
    expect(s.active).toBe(false);
    expect(s.health()).toEqual([{ name: 'presence', kind: 'ble-scanner', state: 'disabled', detail: 'no scanners configured (presence.scanners)' }]);
    s.start();
  });

  it('runs adverts from the scanners to stored events; a scanner down shows in health; occupancy over HTTP', async () => {
    tmp = openTempDb();
    const lines: string[] = [];
    clock.t = T0;
    const s = service(tmp, lines);
    s.start();
    const sim = s.simulated!;
    const member = iBeaconAdData(PROGRAM, 0x0012, 0x0034, -59).subarray(5);
    const stranger = iBeaconAdData(PROGRAM, 0x0bad, 0x0001, -59).subarray(5);
    for (let i = 0; i < 30; i++) {
      clock.t = T0 + i * 200;
      sim.push(
        { scanner: 'sa', rssi: -60, manufacturerData: member },
        { scanner: 'sb', rssi: -80, manufacturerData: member },
        { scanner: 'sa', rssi: -61, manufacturerData: stranger },
      );
      await new Promise((r) => setImmediate(r));
      if (i % 3 === 0) s.tick();
    }
    expect(s.occupancy().zones).toEqual([
      { zone: 'A', members: 1, tags: 0, anonymous: 1 },
      { zone: 'B', members: 0, tags: 0, anonymous: 0 },
    ]);
    sim.setState('sb', 'down', 'port closed');
    expect(s.health().find((h) => h.name === 'sb')).toMatchObject({ state: 'down', detail: 'zone B, simulated: port closed' });

    const app = await buildApi({
      health: () => {
        throw new Error('unused');
      },
      ready: () => true,
      staff: createStaffSessions({ clock, adminToken: 'it-token-0123456789' }),
    });
    await app.register(presenceRoutes, { occupancy: () => s.occupancy() });
    expect((await app.inject({ url: '/api/presence/occupancy' })).statusCode).toBe(401);
    const res = await app.inject({ url: '/api/presence/occupancy', headers: { authorization: 'Bearer it-token-0123456789' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().zones[0]).toEqual({ zone: 'A', members: 1, tags: 0, anonymous: 1 });
    expect(res.body).not.toContain('M-1');
    await app.close();

    // Gone: absence, visit end; all stored; then erasure.
    for (let t = 6000; t <= 30_000; t += 500) {
      clock.t = T0 + t;
      s.tick();
    }
    const kinds = (tmp.db.prepare('SELECT kind FROM presence_events ORDER BY id').all() as Array<{ kind: string }>).map((r) => r.kind);
    expect(kinds).toEqual(['visit-started', 'zone-entered', 'zone-left', 'visit-ended']);
    expect(s.eraseMember('M-1')).toBe(5);
    expect(lines.join('')).not.toContain('M-1');
    await s.stop();
  });

  it('closes a visit a previous run left open, at its last event', () => {
    tmp = openTempDb();
    repo(tmp.db).record(visit, T0);
    clock.t = T0 + 3_600_000;
    const s = service(tmp, []);
    s.start();
    const row = tmp.db.prepare("SELECT reason, at FROM presence_events WHERE kind = 'visit-ended'").get();
    expect(row).toEqual({ reason: 'gateway-restart', at: T0 + 60_000 });
    void s.stop();
  });
});
