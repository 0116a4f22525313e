/**
 * Member-facing program queries and the calls other parts make (issue 6):
 * - kiosk and phones: tier status with progress, "expiring soon", what may be spent;
 * - presence and kiosk: `recordVisit`, the first-visit-of-the-day bonus (capped per month).
 */
import type { Db } from '../../adapters/sqlite/open-database';
import type { ProgramConfig } from '../../config/loyalty-program-schema';
import { capAward, capPeriod } from '../../core/loyalty/bonuses';
import { spendable } from '../../core/loyalty/budget';
import { addMonths } from '../../core/time/calendar';
import { expiringSoon, type ExpiringSoon } from '../../core/loyalty/expiry-notices';
import type { TierStatus } from '../../core/loyalty/tiers';
import { err, ok, type Result } from '../../core/result';
import { localDate } from '../../core/time/local-date';
import type { Clock } from '../../ports/clock';
import type { PresenceEventSource } from '../../ports/presence-events';
import { entryEvent } from './ledger-writer';
import { createProgramContext } from './program-context';
import { PointsBonus } from '../../../sync/schemas/loyalty-events';

export type VisitSource = 'presence' | 'kiosk';

export interface VisitOutcome {
  /** Bonus points awarded by this visit (0: not the first today, capped, or bonus off). */
  points: number;
  reason?: 'not-first-today' | 'monthly-cap' | 'bonus-off' | 'daily-cap' | 'period-cap';
  balance: number;
}

export function createMemberProgram(deps: { db: Db; clock: Clock; timeZone: string; program?: ProgramConfig | undefined }) {
  const { db, clock } = deps;
  const ctx = createProgramContext(deps);
  const { program, members, ledgerRepo, outbox } = ctx;
  const today = (now: number) => localDate(now, deps.timeZone);

  const visitTx = db.transaction((memberId: string, source: VisitSource, now: number): Result<VisitOutcome, { code: 'unknown-member'; message: string }> => {
    const m = members.byId(memberId);
    if (!m) return err({ code: 'unknown-member', message: 'no such member here' });
    const b = program.config.bonuses;
    if (b.visitPoints === 0) return ok({ points: 0, reason: 'bonus-off', balance: m.balance });
    const day = today(now);
    const month = day.slice(0, 7);
    if (program.repo.bonusCount(m.id, 'visit', `${month}-01`, `${month}-31`) >= b.visitMonthlyCap) {
      // Counted only if it is the first today, so a second tap does not say "cap".
      const already = program.repo.bonusCount(m.id, 'visit', day, day) > 0;
      return ok({ points: 0, reason: already ? 'not-first-today' : 'monthly-cap', balance: m.balance });
    }
    if (program.repo.bonusCount(m.id, 'visit', day, day) > 0) return ok({ points: 0, reason: 'not-first-today', balance: m.balance });
    // The total caps over all bonus kinds (core/loyalty/bonuses.ts) cut or refuse it.
    const period = capPeriod(day, b.capPeriodMonths);
    const decision = capAward(
      b.visitPoints,
      { pointsPerDay: b.maxPointsPerDay, pointsPerPeriod: b.maxPointsPerPeriod, periodMonths: b.capPeriodMonths },
      {
        today: program.repo.bonusPoints(m.id, day, day),
        period: program.repo.bonusPoints(m.id, period.from, period.to),
      },
    );
    if ('refused' in decision) return ok({ points: 0, reason: decision.refused === 'period-cap' ? 'period-cap' : 'daily-cap', balance: m.balance });
    const points = decision.points;
    program.repo.ensure(m.id, program.config.tiers.levels[0]!.id, day);
    if (!program.repo.insertBonus({ memberId: m.id, key: `visit:${day}`, kind: 'visit', day, points })) {
      return ok({ points: 0, reason: 'not-first-today', balance: m.balance });
    }
    const credited = program.credit(m, {
      key: `bonus:${m.id}:visit:${day}`,
      reason: `bonus:visit:${source}`,
      now,
      parts: [{ points, expiresOn: addMonths(day, b.expiryMonths) }],
    });
    outbox.append({
      event: PointsBonus,
      subject: m.id,
      at: now,
      data: {
        memberId: m.id,
        memberNumber: m.number,
        kind: 'visit',
        source,
        day,
        points,
        entries: credited.entries.map(entryEvent),
        balance: credited.account.balance,
      },
    });
    return ok({ points, balance: credited.account.balance });
  });

  return {
    /** First store visit of the store-local day earns `program.bonuses.visitPoints`, at most `visitMonthlyCap` a month. */
    recordVisit: (memberId: string, source: VisitSource, now = clock.now()) => visitTx.immediate(memberId, source, now),
    /**
     * Listens to presence: a consenting member's visit start is a store visit (`recordVisit`,
     * source presence) at the time presence placed them. Tags and unknown members are ignored;
     * errors go to `onError`, never to presence. Off while `visitPoints` is 0. Returns unsubscribe.
     */
    attachVisits(source: PresenceEventSource, onError?: (e: unknown) => void): () => void {
      if (program.config.bonuses.visitPoints === 0) return () => {};
      return source.onEvents((events) => {
        for (const e of events) {
          if (e.type !== 'visit-started' || e.subject.kind !== 'member') continue;
          try {
            const m = members.byNumber(e.subject.id);
            if (m) visitTx.immediate(m.id, 'presence', e.at);
          } catch (err) {
            onError?.(err);
          }
        }
      });
    },
    /** Points expiring within `days` (default `program.expiry.soonDays`), per date. */
    expiringSoon: (memberNumber: string, days = program.config.expiry.soonDays, now = clock.now()): ExpiringSoon | undefined => {
      const m = members.byNumber(memberNumber);
      return m ? expiringSoon(ledgerRepo.openLots(m.id), today(now), days) : undefined;
    },
    /** Tier, progress to the next one and the next review date. */
    tierStatus: (memberNumber: string, now = clock.now()): TierStatus | undefined => {
      const m = members.byNumber(memberNumber);
      return m ? program.status(m, today(now)) : undefined;
    },
    /** Points of sales still in the return window (`program.pending.returnDays`): part of the balance, not yet spendable. */
    pendingPoints: (memberNumber: string, now = clock.now()): number | undefined => {
      const m = members.byNumber(memberNumber);
      return m ? program.pendingPoints(m, today(now)) : undefined;
    },
    /** Points the member may spend here now, and which limit binds. */
    spendable: (memberNumber: string, now = clock.now()) => {
      const m = members.byNumber(memberNumber);
      return m ? spendable(program.spendState(m, today(now))) : undefined;
    },
  };
}
export type MemberProgram = ReturnType<typeof createMemberProgram>;
