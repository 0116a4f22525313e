/**
 * Earning without buying (issue 6): join bonus, birthday bonus, in-store event attendance.
 * The rules are pure (core/loyalty/bonuses.ts); this writes them: each award is a row in
 * `bonus_awards` under a unique key (so a retry or a second run awards once), an `adjust`
 * ledger entry with its own lot (`program.bonuses.expiryMonths`), and
 * `trouw.points.bonus.v1`, all in one IMMEDIATE transaction.
 *
 * Callers (wiring lives in app/gateway.ts):
 * - `awardJoin(memberId)` right after a member is created (members service / kiosk sign-up);
 * - `awardBirthdays()` from the daily job (program-daily.ts calls it when given);
 * - `attendEvent(memberId, zone, dwellMs, {stayId})` for a member's dwell in a zone; `attach(presence)`
 *   does it for every ended visit (the presence wiring's one line).
 * The visit bonus stays in member-program.ts; it counts toward the same total caps and is bound by them.
 */
import type { Db } from '../../adapters/sqlite/open-database';
import type { MemberRow } from '../../adapters/sqlite/members-repo';
import type { ProgramConfig } from '../../config/loyalty-program-schema';
import { birthdaysDue, capAward, capPeriod, eventAward, eventsIn, parseBirthday } from '../../core/loyalty/bonuses';
import { addMonths } from '../../core/time/calendar';
import { err, ok, type Result } from '../../core/result';
import { localDate } from '../../core/time/local-date';
import type { Clock } from '../../ports/clock';
import type { PresenceEventSource } from '../../ports/presence-events';
import { entryEvent } from './ledger-writer';
import { createProgramContext } from './program-context';
import { PointsBonus } from '../../../sync/schemas/loyalty-events';

export type BonusRefusal = 'bonus-off' | 'already-awarded' | 'daily-cap' | 'period-cap' | 'event-daily-cap' | 'event-period-cap' | 'too-short';

export interface BonusOutcome {
  /** Points awarded by this call (0: refused, see `reason`). */
  points: number;
  reason?: BonusRefusal;
  /** The award was cut to what the total caps left. */
  cut?: boolean;
  balance: number;
}

export interface EventOutcome extends BonusOutcome {
  eventId: string;
}

type UnknownMember = { code: 'unknown-member'; message: string };

export function createProgramBonuses(deps: { db: Db; clock: Clock; timeZone: string; program?: ProgramConfig | undefined; onError?: (e: unknown) => void }) {
  const { db, clock } = deps;
  const ctx = createProgramContext(deps);
  const { program, members, outbox } = ctx;
  const repo = program.repo;
  const b = program.config.bonuses;
  const lowest = program.config.tiers.levels[0]!.id;
  const today = (now: number) => localDate(now, deps.timeZone);

  /** One award inside the caller's transaction: total caps, unique key, ledger, lot, event. */
  function award(
    m: MemberRow,
    a: { kind: string; eventKind: string; key: string; day: string; points: number; now: number; data?: Record<string, unknown> },
  ): BonusOutcome {
    const period = capPeriod(a.day, b.capPeriodMonths);
    const decision = capAward(
      a.points,
      { pointsPerDay: b.maxPointsPerDay, pointsPerPeriod: b.maxPointsPerPeriod, periodMonths: b.capPeriodMonths },
      {
        today: repo.bonusPoints(m.id, a.day, a.day),
        period: repo.bonusPoints(m.id, period.from, period.to),
      },
    );
    if ('refused' in decision) return { points: 0, reason: decision.refused, balance: m.balance };
    repo.ensure(m.id, lowest, a.day);
    if (!repo.insertBonus({ memberId: m.id, key: a.key, kind: a.kind, day: a.day, points: decision.points })) {
      return { points: 0, reason: 'already-awarded', balance: m.balance };
    }
    const credited = program.credit(m, {
      key: `bonus:${m.id}:${a.key}`,
      reason: `bonus:${a.eventKind}`,
      now: a.now,
      parts: [{ points: decision.points, expiresOn: addMonths(a.day, b.expiryMonths) }],
    });
    outbox.append({
      event: PointsBonus,
      subject: m.id,
      at: a.now,
      data: {
        memberId: m.id,
        memberNumber: m.number,
        kind: a.eventKind,
        day: a.day,
        ...a.data,
        points: decision.points,
        entries: credited.entries.map(entryEvent),
        balance: credited.account.balance,
      },
    });
    return { points: decision.points, ...(decision.cut ? { cut: true } : {}), balance: credited.account.balance };
  }

  const joinTx = db.transaction((memberId: string, now: number): Result<BonusOutcome, UnknownMember> => {
    const m = members.byId(memberId);
    if (!m) return err({ code: 'unknown-member', message: 'no such member here' });
    if (b.joinPoints === 0) return ok({ points: 0, reason: 'bonus-off', balance: m.balance });
    return ok(award(m, { kind: 'join', eventKind: 'join', key: 'join', day: today(now), points: b.joinPoints, now }));
  });

  const birthdayTx = db.transaction(
    (
      memberNumber: string,
      birthday: string | null,
      now: number,
    ): Result<{ birthday: string | null }, UnknownMember | { code: 'invalid-birthday'; message: string }> => {
      const parsed = birthday === null ? null : parseBirthday(birthday);
      if (parsed === undefined) return err({ code: 'invalid-birthday', message: 'birthday must be MM-DD' });
      const m = members.byNumber(memberNumber);
      if (!m) return err({ code: 'unknown-member', message: 'no such member here' });
      repo.ensure(m.id, lowest, today(now));
      repo.setBirthday(m.id, parsed);
      return ok({ birthday: parsed });
    },
  );

  const birthdaysTx = db.transaction((now: number): { members: number; awarded: number; points: number } => {
    const due = birthdaysDue(today(now), b.birthdayGraceDays);
    const onOf = new Map<string, string>();
    for (const d of due) if (!onOf.has(d.birthday)) onOf.set(d.birthday, d.on); // the most recent date first
    let awarded = 0;
    let points = 0;
    const found = repo.membersWithBirthday([...onOf.keys()]);
    for (const id of found) {
      const m = members.byId(id);
      const birthday = repo.get(id)?.birthday;
      if (!m || !birthday) continue;
      const on = onOf.get(birthday)!;
      const r = award(m, {
        kind: 'birthday',
        eventKind: 'birthday',
        key: `birthday:${on.slice(0, 4)}`,
        day: today(now),
        points: b.birthdayPoints,
        now,
        data: { birthday: on },
      });
      if (r.points > 0) {
        awarded++;
        points += r.points;
      }
    }
    return { members: found.length, awarded, points };
  });

  const eventTx = db.transaction(
    (memberId: string, zone: string, dwellMs: number, stayId: string | undefined, now: number): Result<EventOutcome[], UnknownMember> => {
      let m = members.byId(memberId);
      if (!m) return err({ code: 'unknown-member', message: 'no such member here' });
      const day = today(now);
      const out: EventOutcome[] = [];
      for (const e of eventsIn(b.events, zone, day)) {
        const kind = `event:${e.id}`;
        const period = capPeriod(day, e.periodMonths);
        const counts = { today: repo.bonusCount(m.id, kind, day, day), period: repo.bonusCount(m.id, kind, period.from, period.to) };
        const rule = eventAward(e, dwellMs, counts);
        if (!rule.ok) {
          out.push({ eventId: e.id, points: 0, reason: rule.reason, balance: m.balance });
          continue;
        }
        const key = stayId !== undefined ? `${kind}:stay:${stayId}` : `${kind}:${day}:${counts.today + 1}`;
        out.push({ eventId: e.id, ...award(m, { kind, eventKind: 'event', key, day, points: e.points, now, data: { eventId: e.id, zone } }) });
        m = members.byId(memberId)!;
      }
      return ok(out);
    },
  );

  return {
    /** The join bonus (`program.bonuses.joinPoints`), once per member. Call right after creating the member. */
    awardJoin: (memberId: string, now = clock.now()) => joinTx.immediate(memberId, now),
    /** Sets (MM-DD) or clears (null) the member's birthday. */
    setBirthday: (memberNumber: string, birthday: string | null, now = clock.now()) => birthdayTx.immediate(memberNumber, birthday, now),
    /**
     * Birthday bonuses due today or in the last `birthdayGraceDays` days, once per member per
     * year (key `birthday:{year}`): safe to run any number of times. The daily job calls it.
     */
    awardBirthdays: (now = clock.now()) => (b.birthdayPoints === 0 ? { members: 0, awarded: 0, points: 0 } : birthdaysTx.immediate(now)),
    /**
     * A member dwelt `dwellMs` in presence zone `zone`: every event held there today whose
     * minimum dwell is met awards its points, within its per-day and per-period caps and the
     * total caps. `stayId` (the presence stay) makes a repeated report of one stay award once.
     * An empty list: no event in that zone today.
     */
    attendEvent: (memberId: string, zone: string, dwellMs: number, opts: { stayId?: string; now?: number } = {}) =>
      eventTx.immediate(memberId, zone, dwellMs, opts.stayId, opts.now ?? clock.now()),
    /** Whether a zone hosts an event on the store-local date of `now` (for the presence wiring to skip others cheaply). */
    isEventZone: (zone: string, now = clock.now()): boolean => eventsIn(b.events, zone, today(now)).length > 0,
    /**
     * Listens to presence: when a member's visit ends, each event zone's total dwell in that
     * visit (brief exits and BLE flaps add up, see core/presence/events.ts `visit-ended`)
     * is reported to `attendEvent` with stay id `{visitId}:{zone}`, so a replayed event awards
     * once. Tags and unknown members are ignored; errors go to `onError`, never to presence.
     * Returns unsubscribe.
     */
    attach(source: PresenceEventSource): () => void {
      if (b.events.length === 0) return () => {};
      return source.onEvents((events) => {
        for (const e of events) {
          if (e.type !== 'visit-ended' || e.subject.kind !== 'member') continue;
          for (const z of e.zones) {
            if (!eventsIn(b.events, z.zone, today(e.at)).length) continue;
            try {
              const m = members.byNumber(e.subject.id);
              if (m) eventTx.immediate(m.id, z.zone, z.dwellMs, `${e.visitId}:${z.zone}`, e.at);
            } catch (err) {
              deps.onError?.(err);
            }
          }
        }
      });
    },
  };
}
export type ProgramBonuses = ReturnType<typeof createProgramBonuses>;
