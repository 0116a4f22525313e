import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { createMemberProgram } from '../../gateway/app/loyalty/member-program';
import { defaultProgram } from '../../gateway/app/loyalty/program';
import { createProgramBonuses } from '../../gateway/app/loyalty/program-bonuses';
import { createProgramDaily } from '../../gateway/app/loyalty/program-daily';
import type { ProgramConfig } from '../../gateway/config/loyalty-program-schema';
import type { PresenceEvent } from '../../gateway/core/presence/events';
import { birthdayIn, birthdaysDue, capAward, capPeriod, eventAward, eventsIn, parseBirthday } from '../../gateway/core/loyalty/bonuses';
import { makeTill, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});
const TZ = 'Europe/Amsterdam';
const MIN = 60_000;

describe('bonus rules (pure)', () => {
  it('caps all bonus points per day and per period, cutting an award to what is left', () => {
    const caps = { pointsPerDay: 50, pointsPerPeriod: 120, periodMonths: 1 };
    expect(capAward(30, caps, { today: 0, period: 0 })).toEqual({ points: 30, cut: false });
    expect(capAward(30, caps, { today: 40, period: 40 })).toEqual({ points: 10, cut: true });
    expect(capAward(30, caps, { today: 50, period: 50 })).toEqual({ points: 0, refused: 'daily-cap' });
    expect(capAward(30, caps, { today: 0, period: 100 })).toEqual({ points: 20, cut: true });
    expect(capAward(30, caps, { today: 0, period: 120 })).toEqual({ points: 0, refused: 'period-cap' });
    expect(capAward(30, { pointsPerDay: 0, pointsPerPeriod: 0, periodMonths: 1 }, { today: 1e6, period: 1e6 })).toEqual({ points: 30, cut: false });
    expect(capAward(0, caps, { today: 0, period: 0 })).toEqual({ points: 0, refused: 'bonus-off' });
  });

  it('finds calendar cap periods from 1 January', () => {
    expect(capPeriod('2024-02-14', 1)).toEqual({ from: '2024-02-01', to: '2024-02-29' });
    expect(capPeriod('2024-05-31', 3)).toEqual({ from: '2024-04-01', to: '2024-06-30' });
    expect(capPeriod('2024-12-31', 12)).toEqual({ from: '2024-01-01', to: '2024-12-31' });
  });

  it('reads birthdays, keeps 29 February on the 28th in other years, and looks back the grace days', () => {
    expect(parseBirthday('02-29')).toBe('02-29');
    expect(parseBirthday('02-30')).toBeUndefined();
    expect(parseBirthday('13-01')).toBeUndefined();
    expect(parseBirthday('2-1')).toBeUndefined();
    expect(birthdayIn('02-29', 2025)).toBe('2025-02-28');
    expect(birthdayIn('02-29', 2024)).toBe('2024-02-29');
    expect(birthdaysDue('2025-02-28', 0)).toEqual([
      { birthday: '02-28', on: '2025-02-28' },
      { birthday: '02-29', on: '2025-02-28' },
    ]);
    expect(birthdaysDue('2024-01-02', 2).map((d) => d.on)).toEqual(['2024-01-02', '2024-01-01', '2023-12-31']);
  });

  it('event attendance: in its zone on its dates, minimum dwell, caps per day and per period', () => {
    const e = {
      id: 'proeverij',
      zone: 'wijn',
      from: '2024-06-01',
      to: '2024-06-30',
      minDwellMinutes: 10,
      points: 25,
      perDay: 1,
      perPeriod: 2,
      periodMonths: 1,
    };
    expect(eventsIn([e], 'wijn', '2024-06-15')).toEqual([e]);
    expect(eventsIn([e], 'wijn', '2024-07-01')).toEqual([]);
    expect(eventsIn([e], 'kaas', '2024-06-15')).toEqual([]);
    expect(eventAward(e, 9 * MIN, { today: 0, period: 0 })).toEqual({ ok: false, reason: 'too-short' });
    expect(eventAward(e, 10 * MIN, { today: 0, period: 0 })).toEqual({ ok: true });
    expect(eventAward(e, 10 * MIN, { today: 1, period: 1 })).toEqual({ ok: false, reason: 'event-daily-cap' });
    expect(eventAward(e, 10 * MIN, { today: 0, period: 2 })).toEqual({ ok: false, reason: 'event-period-cap' });
  });
});

describe('earning without buying', () => {
  function setup(bonuses: Partial<ProgramConfig['bonuses']>) {
    const program: ProgramConfig = { ...defaultProgram(), bonuses: { ...defaultProgram().bonuses, ...bonuses } };
    const tt = makeTill({ deps: { program } });
    t = tt;
    tt.clock.set(Date.UTC(2024, 5, 15, 10));
    const pb = createProgramBonuses({ db: tt.db, clock: tt.clock, timeZone: TZ, program });
    const create = (number: string) => {
      const m = tt.members.create({ number, name: number });
      if (!m.ok) throw new Error('create failed');
      return m.value.id;
    };
    const balance = (number: string) => tt.member(number).balance;
    return { tt, pb, program, create, balance };
  }

  it('join bonus: once per member, with its ledger entry, lot and event', () => {
    const { tt, pb, create, balance } = setup({ joinPoints: 50 });
    const id = create('M-1');
    expect(pb.awardJoin(id)).toMatchObject({ ok: true, value: { points: 50, balance: 50 } });
    expect(pb.awardJoin(id)).toMatchObject({ ok: true, value: { points: 0, reason: 'already-awarded', balance: 50 } });
    expect(pb.awardJoin('nope')).toMatchObject({ ok: false, error: { code: 'unknown-member' } });
    expect(balance('M-1')).toBe(50);
    expect(tt.count('outbox', "type = 'trouw.points.bonus.v1'")).toBe(1);
    const ev = JSON.parse((tt.db.prepare("SELECT data FROM outbox WHERE type = 'trouw.points.bonus.v1'").get() as { data: string }).data) as Record<
      string,
      unknown
    >;
    expect(ev).toMatchObject({ kind: 'join', points: 50, balance: 50, memberNumber: 'M-1' });
    expect(tt.count('point_lots', "expires_on = '2025-06-15'")).toBe(1);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true });
  });

  it('join bonus off: nothing written', () => {
    const { tt, pb, create } = setup({});
    expect(pb.awardJoin(create('M-1'))).toMatchObject({ ok: true, value: { points: 0, reason: 'bonus-off' } });
    expect(tt.count('ledger_entries')).toBe(0);
  });

  it('birthday bonus: from the daily job on the day, once a year, late after a power-off within the grace', async () => {
    const { tt, pb, program, create, balance } = setup({ birthdayPoints: 100, birthdayGraceDays: 3 });
    create('M-1');
    create('M-2');
    create('M-3');
    expect(pb.setBirthday('M-1', '06-20')).toMatchObject({ ok: true, value: { birthday: '06-20' } });
    expect(pb.setBirthday('M-2', '06-10')).toMatchObject({ ok: true });
    expect(pb.setBirthday('M-3', '31-02')).toMatchObject({ ok: false, error: { code: 'invalid-birthday' } });
    expect(pb.setBirthday('M-404', '01-01')).toMatchObject({ ok: false, error: { code: 'unknown-member' } });
    const daily = createProgramDaily({ db: tt.db, clock: tt.clock, timeZone: TZ, program });
    // 15 June: M-2's birthday was five days ago, beyond the grace of three.
    expect((await daily.runDay(tt.clock.now(), false)).birthdayBonuses).toBe(0);
    // Powered off until 22 June: M-1's birthday (20 June) is still within the grace.
    tt.clock.set(Date.UTC(2024, 5, 22, 10));
    expect((await daily.runDay(tt.clock.now(), false)).birthdayBonuses).toBe(1);
    expect((await daily.runDay(tt.clock.now(), false)).birthdayBonuses).toBe(0);
    tt.clock.set(Date.UTC(2024, 5, 23, 10));
    expect((await daily.runDay(tt.clock.now(), false)).birthdayBonuses).toBe(0);
    expect(balance('M-1')).toBe(100);
    expect(balance('M-2')).toBe(0);
    // Next year again.
    tt.clock.set(Date.UTC(2025, 5, 20, 8));
    expect(pb.awardBirthdays()).toMatchObject({ awarded: 1, points: 100 });
    expect(balance('M-1')).toBe(200);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true });
  });

  it('a 29 February birthday is celebrated on 28 February in other years', () => {
    const { pb, create, balance } = setup({ birthdayPoints: 10, birthdayGraceDays: 0 });
    create('M-1');
    pb.setBirthday('M-1', '02-29');
    t!.clock.set(Date.UTC(2025, 1, 28, 12));
    expect(pb.awardBirthdays()).toMatchObject({ awarded: 1 });
    t!.clock.set(Date.UTC(2025, 2, 1, 12));
    expect(pb.awardBirthdays()).toMatchObject({ awarded: 0 });
    expect(balance('M-1')).toBe(10);
  });

  it('event attendance: the zone must host an event, dwell long enough, per-day and per-period caps, a stay once', () => {
    const event = {
      id: 'proeverij',
      name: 'Wijnproeverij',
      zone: 'wijn',
      from: '2024-06-01',
      to: '2024-07-31',
      minDwellMinutes: 10,
      points: 25,
      perDay: 1,
      perPeriod: 2,
      periodMonths: 1 as const,
    };
    const { pb, create, balance } = setup({ events: [event] });
    const id = create('M-1');
    expect(pb.isEventZone('wijn')).toBe(true);
    expect(pb.isEventZone('kaas')).toBe(false);
    expect(pb.attendEvent(id, 'kaas', 60 * MIN)).toEqual({ ok: true, value: [] });
    expect(pb.attendEvent(id, 'wijn', 5 * MIN)).toMatchObject({ ok: true, value: [{ eventId: 'proeverij', points: 0, reason: 'too-short' }] });
    expect(pb.attendEvent(id, 'wijn', 12 * MIN, { stayId: 's1' })).toMatchObject({ ok: true, value: [{ eventId: 'proeverij', points: 25, balance: 25 }] });
    expect(pb.attendEvent(id, 'wijn', 30 * MIN, { stayId: 's2' })).toMatchObject({ ok: true, value: [{ points: 0, reason: 'event-daily-cap' }] });
    t!.clock.set(Date.UTC(2024, 5, 16, 10));
    expect(pb.attendEvent(id, 'wijn', 30 * MIN, { stayId: 's3' })).toMatchObject({ ok: true, value: [{ points: 25, balance: 50 }] });
    t!.clock.set(Date.UTC(2024, 5, 17, 10));
    expect(pb.attendEvent(id, 'wijn', 30 * MIN)).toMatchObject({ ok: true, value: [{ points: 0, reason: 'event-period-cap' }] });
    // A new month, a new period.
    t!.clock.set(Date.UTC(2024, 6, 1, 10));
    expect(pb.attendEvent(id, 'wijn', 30 * MIN)).toMatchObject({ ok: true, value: [{ points: 25 }] });
    // After the event's last day the zone is an ordinary zone again.
    t!.clock.set(Date.UTC(2024, 7, 1, 10));
    expect(pb.attendEvent(id, 'wijn', 30 * MIN)).toEqual({ ok: true, value: [] });
    expect(balance('M-1')).toBe(75);
  });

  it('a repeated report of the same stay awards once', () => {
    const event = { id: 'demo', name: 'Demo', zone: 'z', minDwellMinutes: 0, points: 5, perDay: 3, perPeriod: 10, periodMonths: 1 as const };
    const { pb, create, balance } = setup({ events: [event] });
    const id = create('M-1');
    expect(pb.attendEvent(id, 'z', MIN, { stayId: 'a' })).toMatchObject({ ok: true, value: [{ points: 5 }] });
    expect(pb.attendEvent(id, 'z', 2 * MIN, { stayId: 'a' })).toMatchObject({ ok: true, value: [{ points: 0, reason: 'already-awarded' }] });
    expect(pb.attendEvent(id, 'z', MIN, { stayId: 'b' })).toMatchObject({ ok: true, value: [{ points: 5 }] });
    expect(balance('M-1')).toBe(10);
  });

  it('total caps bind all kinds together, visits included, cutting the last award', () => {
    const event = { id: 'demo', name: 'Demo', zone: 'z', minDwellMinutes: 0, points: 30, perDay: 5, perPeriod: 50, periodMonths: 1 as const };
    const { tt, pb, program, create, balance } = setup({ joinPoints: 40, visitPoints: 10, events: [event], maxPointsPerDay: 60, maxPointsPerPeriod: 100 });
    const id = create('M-1');
    const mp = createMemberProgram({ db: tt.db, clock: tt.clock, timeZone: TZ, program });
    expect(pb.awardJoin(id)).toMatchObject({ ok: true, value: { points: 40 } });
    expect(mp.recordVisit(id, 'kiosk')).toMatchObject({ ok: true, value: { points: 10 } });
    expect(pb.attendEvent(id, 'z', MIN)).toMatchObject({ ok: true, value: [{ points: 10, cut: true }] });
    expect(pb.attendEvent(id, 'z', MIN)).toMatchObject({ ok: true, value: [{ points: 0, reason: 'daily-cap' }] });
    tt.clock.set(Date.UTC(2024, 5, 16, 10));
    expect(pb.attendEvent(id, 'z', MIN)).toMatchObject({ ok: true, value: [{ points: 30 }] });
    expect(pb.attendEvent(id, 'z', MIN)).toMatchObject({ ok: true, value: [{ points: 10, cut: true }] });
    expect(pb.attendEvent(id, 'z', MIN)).toMatchObject({ ok: true, value: [{ points: 0, reason: 'period-cap' }] });
    expect(balance('M-1')).toBe(100);
    // The visit bonus is bound by the same caps.
    tt.clock.set(Date.UTC(2024, 5, 17, 10));
    expect(mp.recordVisit(id, 'presence')).toMatchObject({ ok: true, value: { points: 0, reason: 'period-cap' } });
    tt.clock.set(Date.UTC(2024, 6, 1, 10));
    expect(pb.attendEvent(id, 'z', MIN)).toMatchObject({ ok: true, value: [{ points: 30 }] });
    expect(pb.attendEvent(id, 'z', MIN)).toMatchObject({ ok: true, value: [{ points: 30 }] });
    expect(mp.recordVisit(id, 'kiosk')).toMatchObject({ ok: true, value: { points: 0, reason: 'daily-cap' } });
    expect(balance('M-1')).toBe(160);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true });
  });
});

describe('event attendance from presence', () => {
  it('a member’s ended visit awards each event zone once per visit, by total dwell; tags and others ignored', () => {
    const event = { id: 'proeverij', name: 'Wijnproeverij', zone: 'wijn', minDwellMinutes: 10, points: 25, perDay: 2, perPeriod: 10, periodMonths: 1 as const };
    const program: ProgramConfig = { ...defaultProgram(), bonuses: { ...defaultProgram().bonuses, events: [event] } };
    const tt = makeTill({ deps: { program } });
    t = tt;
    tt.clock.set(Date.UTC(2024, 5, 15, 10));
    tt.members.create({ number: 'M-1', name: 'Ada' });
    const errors: unknown[] = [];
    const pb = createProgramBonuses({ db: tt.db, clock: tt.clock, timeZone: TZ, program, onError: (e) => errors.push(e) });
    let listener: ((events: readonly PresenceEvent[]) => void) | undefined;
    const off = pb.attach({ onEvents: (l) => ((listener = l), () => (listener = undefined)) });
    const at = tt.clock.now();
    const ended = (visitId: string, id: string, kind: 'member' | 'tag', zones: { zone: string; dwellMs: number }[]): PresenceEvent => ({
      type: 'visit-ended',
      visitId,
      subject: { kind, id },
      startedAt: at - 3_600_000,
      at,
      reason: 'unseen',
      zones: zones.map((z) => ({ ...z, entries: 1 })),
    });
    listener!([
      ended('v1', 'M-1', 'member', [
        { zone: 'wijn', dwellMs: 12 * MIN },
        { zone: 'kaas', dwellMs: 30 * MIN },
      ]),
      ended('v1', 'M-1', 'member', [{ zone: 'wijn', dwellMs: 12 * MIN }]), // replayed
      ended('v2', 'M-1', 'member', [{ zone: 'wijn', dwellMs: 5 * MIN }]), // too short
      ended('v3', 'T-1', 'tag', [{ zone: 'wijn', dwellMs: 60 * MIN }]),
      ended('v4', 'M-404', 'member', [{ zone: 'wijn', dwellMs: 60 * MIN }]),
    ]);
    expect(tt.member('M-1').balance).toBe(25);
    expect(errors).toEqual([]);
    off();
    expect(listener).toBeUndefined();
  });
});
