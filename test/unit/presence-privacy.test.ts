/**
 * Privacy (issue 4, DESIGN.md §9): a simulated store with members, people without the app,
 * people who did not consent and other vendors' devices, run through the presence service,
 * SQLite and the outbox with debug logging. Afterwards nothing of a non-member is anywhere:
 * not their address, token, advert bytes or any row; and no address or token of anyone.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createPresenceService } from '../../gateway/app/presence/presence-service';
import type { Advert, AdvertListener, BleScanners } from '../../gateway/ports/ble-scanner';
import { manufacturerDataOf, StoreSim } from '../../firmware-sim/store/store-sim';
import { epochOf, memberToken } from '../../gateway/core/presence/token';
import { configForSim } from '../bench/presence-run';
import { openTempDb, type TempDb } from './sqlite-helpers';

let tmp: TempDb | undefined;
afterEach(() => tmp?.cleanup());

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Every row of every table, as text. */
function dump(db: TempDb['db']): string {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
  return tables
    .map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t.name}"`).all()))
    .join('\n')
    .toLowerCase();
}

describe('presence privacy', () => {
  it('non-members leave no trace in SQLite, the outbox or the logs; nobody leaves an address or token', () => {
    tmp = openTempDb();
    const sim = new StoreSim({ seed: 11, shoppers: 60, durationMs: 30 * 60_000, mix: { consenting: 0.4, nonConsenting: 0.3, secondDevice: 0.5 } });
    const e = epochOf(sim.startMs);
    const tokens = sim.members.flatMap((m) =>
      [e - 1, e, e + 1, e + 2, e + 3].map((epoch) => ({ member: m.member, epoch, token: memberToken(m.key, epoch).toString(16).padStart(8, '0') })),
    );
    const config = configForSim(sim, { tokens, visitEndMs: 120_000 });
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });
    let listener: AdvertListener = () => undefined;
    const scanners: BleScanners = { start: (l) => void (listener = l), stop: async () => undefined, health: () => [] };
    const clock = {
      t: sim.startMs,
      now() {
        return this.t;
      },
      monotonic() {
        return this.t;
      },
    };
    const service = createPresenceService({
      config,
      db: tmp.db,
      clock,
      logger,
      timeZone: 'Europe/Amsterdam',
      outboxTtlMs: 86_400_000,
      scanners,
      timers: false,
    });
    service.start();

    const needles = new Set<string>();
    const memberNumbers = new Set(sim.members.map((m) => m.member.toLowerCase()));
    const names = sim.plan.scanners.map((s) => s.name);
    let next = sim.startMs + 500;
    let batch: Advert[] = [];
    for (const ev of sim.air()) {
      while (next <= ev.at) {
        listener(batch);
        batch = [];
        clock.t = next;
        service.tick(next);
        next += 500;
      }
      // What would identify a device: its address (everyone), its advert bytes and token
      // (everyone but tags, whose ids are configured).
      needles.add(ev.advert.address.replace(/:/g, '').toLowerCase());
      needles.add(ev.advert.address.toLowerCase());
      const md = manufacturerDataOf(ev.advert.data);
      if (md && ev.device.role !== 'trolley' && ev.device.role !== 'staff-badge') {
        needles.add(hex(md));
        if (md.length === 25) needles.add(hex(md.subarray(20, 24))); // the token
      }
      if (md) for (const r of ev.readings) batch.push({ scanner: names[r.scanner]!, rssi: r.rssi, manufacturerData: md, at: ev.at });
    }
    for (let t = next; t <= sim.endMs + 300_000; t += 500) {
      listener(batch);
      batch = [];
      clock.t = t;
      service.tick(t);
    }
    const stats = service.stats();
    expect(stats.pending).toBe(0);
    expect(stats.adverts.anonymous).toBeGreaterThan(1000);
    expect(stats.adverts.member).toBeGreaterThan(1000);

    const db = dump(tmp.db);
    const logs = lines.join('\n').toLowerCase();
    for (const n of needles) {
      expect(db.includes(n), `SQLite holds ${n}`).toBe(false);
      expect(logs.includes(n), `logs hold ${n}`).toBe(false);
    }
    // Only consenting members and configured tags appear, ever.
    const subjects = tmp.db.prepare('SELECT DISTINCT subject FROM presence_events').all() as Array<{ subject: string }>;
    const tags = new Set(sim.tags().map((t) => t.id));
    expect(subjects.length).toBeGreaterThan(10);
    for (const { subject } of subjects) {
      const [kind, id] = subject.split(':') as [string, string];
      expect(kind === 'member' ? memberNumbers.has(id.toLowerCase()) : tags.has(id)).toBe(true);
    }
    const outbox = tmp.db.prepare('SELECT data FROM outbox').all() as Array<{ data: string }>;
    for (const o of outbox) {
      const d = JSON.parse(o.data) as { memberNumber?: string; tag?: string };
      expect(d.memberNumber ? memberNumbers.has(d.memberNumber.toLowerCase()) : tags.has(d.tag!)).toBe(true);
    }
    // Aggregates are anonymous, and of members and tags only.
    const kinds = tmp.db.prepare('SELECT DISTINCT subject_kind AS k FROM presence_daily').all() as Array<{ k: string }>;
    expect(kinds.map((k) => k.k).sort()).toEqual(['member', 'tag']);
    // Logs never name a member either.
    for (const n of memberNumbers) expect(logs.includes(n)).toBe(false);
  }, 120_000);
});
