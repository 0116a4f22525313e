/**
 * The loyalty program's daily job (issue 6), at the store's midnight: expire what is due,
 * send expiry notices, apply tier downgrades that fell due (no sale needed), award the
 * birthday bonuses due (program-bonuses.ts), and record the run. Safe to run any number of
 * times on any day (points-expiry.ts: once per lot; notices: once per lot; tiers:
 * recomputed, changed only if due; birthdays: once per year), and it catches up at start after a
 * power-off, however long.
 *
 * Scheduling: `start()` runs once at once (catch-up), then at each next local midnight,
 * found as an instant from the zone's rules (core/loyalty/dates.ts), so the 23- and 25-hour
 * DST days of Europe/Amsterdam land on midnight, not an hour off. Work is chunked, yielding
 * to the event loop between chunks, so the till is never held up for long.
 */
import { createMembersRepo } from '../../adapters/sqlite/members-repo';
import type { Db } from '../../adapters/sqlite/open-database';
import type { ProgramConfig } from '../../config/loyalty-program-schema';
import { nextLocalMidnight } from '../../core/loyalty/dates';
import { localDate } from '../../core/time/local-date';
import type { Clock } from '../../ports/clock';
import { createPointsExpiry } from './points-expiry';
import { createProgramBonuses } from './program-bonuses';
import { createProgramContext } from './program-context';

export interface DailySummary {
  day: string;
  expiredLots: number;
  expiredPoints: number;
  notices: number;
  tiersChanged: number;
  /** Birthday bonuses awarded by this run (program.bonuses.birthdayPoints). */
  birthdayBonuses: number;
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export function createProgramDaily(deps: {
  db: Db;
  clock: Clock;
  timeZone: string;
  program?: ProgramConfig | undefined;
  chunk?: number;
  onError?: (e: unknown) => void;
}) {
  const { db, clock } = deps;
  const ctx = createProgramContext(deps);
  const { program } = ctx;
  const members = createMembersRepo(db);
  const chunk = deps.chunk ?? 2000;
  const expiry = createPointsExpiry({ db, clock, timeZone: deps.timeZone, chunk, noticeDays: program.config.expiry.noticeDays });
  const lowest = program.config.tiers.levels[0]!.id;
  const bonuses = createProgramBonuses({ db, clock, timeZone: deps.timeZone, program: program.config });

  const tierChunk = db.transaction((after: string, day: string, now: number): { last: string | undefined; changed: number; n: number } => {
    const ids = program.repo.membersAboveTier(lowest, after, chunk);
    let changed = 0;
    for (const id of ids) {
      const m = members.byId(id);
      if (m && program.refreshTier(m, day, now).changed) changed++;
    }
    return { last: ids[ids.length - 1], changed, n: ids.length };
  });

  /** Recomputes the tier of every member above the lowest tier (downgrades fall due without a sale). */
  async function runTiers(day: string, now: number, yieldBetween = true): Promise<{ members: number; changed: number }> {
    let changed = 0;
    let n = 0;
    let after = '';
    for (;;) {
      const r = tierChunk.immediate(after, day, now);
      changed += r.changed;
      n += r.n;
      if (r.n < chunk || r.last === undefined) break;
      after = r.last;
      if (yieldBetween) await yieldToLoop();
    }
    return { members: n, changed };
  }

  /** One whole run for the store-local date at `now`; `yieldBetween` lets the till in between chunks. */
  async function runDay(now = clock.now(), yieldBetween = true): Promise<DailySummary> {
    const run = expiry.start(now);
    let p = run.step();
    while (!p.done) {
      if (yieldBetween) await yieldToLoop();
      p = run.step();
    }
    const tiersChanged = (await runTiers(run.today, now, yieldBetween)).changed;
    const birthdayBonuses = bonuses.awardBirthdays(now).awarded;
    const summary = { day: run.today, expiredLots: p.expiredLots, expiredPoints: p.points, notices: p.notices, tiersChanged, birthdayBonuses };
    program.repo.recordRun({ day: run.today, finishedAt: now, expiredLots: p.expiredLots, notices: p.notices, tiersChanged });
    return summary;
  }

  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let running: Promise<unknown> = Promise.resolve();

  function schedule() {
    if (stopped) return;
    const now = clock.now();
    // A second past midnight: the new date is certain even if the timer fires a little early.
    const delay = Math.max(1000, nextLocalMidnight(now, deps.timeZone) - now + 1000);
    timer = setTimeout(() => {
      running = runDay()
        .catch((e: unknown) => deps.onError?.(e))
        .finally(schedule);
    }, delay);
    timer.unref();
  }

  return {
    runDay,
    runTiers,
    /** Runs now (catch-up after downtime) and then at every store midnight. */
    start(): void {
      if (!stopped) return;
      stopped = false;
      running = runDay()
        .catch((e: unknown) => deps.onError?.(e))
        .finally(schedule);
    },
    /** Stops the schedule and waits for a run in progress. */
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
    lastRunDay: (): string | undefined => program.repo.lastRunDay(),
    today: (now = clock.now()) => localDate(now, deps.timeZone),
  };
}
export type ProgramDaily = ReturnType<typeof createProgramDaily>;
