/**
 * Settles members on a schedule inside the HQ process (docs/loyalty.md, "Settlement at HQ"),
 * so nobody has to run `cli.ts settle` by hand, and then lets the snapshot feeder send
 * `member-snapshot` for new activity.
 *
 * Who is settled: a member whose points events came from more than one gateway and whose
 * number of points events changed since HQ last settled them. With one gateway the store
 * already holds the sum HQ would compute; settling it would only risk overwriting local
 * changes not yet at HQ (docs/loyalty.md, limits). HQ never deletes events, so "the count
 * differs from the count at the last settlement" means "new events", whatever their event
 * time: a store that was offline for a day delivers old events late.
 *
 * Idempotent: the count each member was settled at is kept in `hq_settlement_schedule` (the
 * settlement database) and written only once every gateway took its command; a second run
 * with nothing new settles nobody. Not re-entrant: a tick that finds a run in progress is
 * skipped, not queued. Candidates are members with points events *received* since the previous
 * run started, less `rescanMarginMs` for ingest commits still in flight and for clock
 * differences between ingest machines; the first run after a start looks at every member
 * (what arrived while HQ was down). A run with a failure does not move that mark on, so the
 * next run looks at the same members again.
 *
 * One scheduler per settlement database: two would each settle the same member (harmless at
 * the gateway, which ignores an `asOf` it already holds, but twice the commands).
 */
import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { HqStore, MemberPointsActivity } from './store';
import type { SettlementService } from './settlement-service';

export const SCHEDULE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS hq_settlement_schedule (
    member         TEXT PRIMARY KEY,
    points_events  INTEGER NOT NULL,
    settled_at     INTEGER NOT NULL
  );`;

const PAGE = 500;

export interface SettlementSchedulerOptions {
  store: Pick<HqStore, 'memberPointsActivity'>;
  /** The settlement database (where `hq_member_accounts` lives). */
  db: Database.Database;
  settlement: Pick<SettlementService, 'settleMember'>;
  /** Pumped after each run's settlements, so snapshots carry the new balances. */
  snapshots?: { pump(): Promise<number> };
  clock: () => number;
  logger: Logger;
  /** Default 60 s. */
  intervalMs?: number;
  /** Default 10 min. */
  rescanMarginMs?: number;
  /**
   * False skips the run (e.g. the broker link is down: publishes would wait for the
   * reconnect and hold the run, and `stop()` with it). Default: always ready.
   */
  ready?: () => boolean;
  /** Starts the periodic tick and returns its cancel; tests pass their own and fire ticks by hand. */
  every?: (ms: number, tick: () => void) => () => void;
}

export interface SchedulerRun {
  /** True when a run was already in progress: this tick did nothing. */
  skipped: boolean;
  candidates: number;
  settled: string[];
  failed: string[];
  snapshots: number;
}

const systemEvery = (ms: number, tick: () => void) => {
  const t = setInterval(tick, ms);
  t.unref(); // the HQ process ends on its own signals, not when this timer says so
  return () => clearInterval(t);
};

export function createSettlementScheduler(o: SettlementSchedulerOptions) {
  const log = o.logger.child({ component: 'settlement-scheduler' });
  const intervalMs = o.intervalMs ?? 60_000;
  const margin = o.rescanMarginMs ?? 600_000;
  o.db.exec(SCHEDULE_SCHEMA);
  const settledCount = o.db.prepare('SELECT points_events AS n FROM hq_settlement_schedule WHERE member = ?');
  const markSettled = o.db.prepare(
    `INSERT INTO hq_settlement_schedule (member, points_events, settled_at) VALUES (?, ?, ?)
     ON CONFLICT (member) DO UPDATE SET points_events = excluded.points_events, settled_at = excluded.settled_at`,
  );
  let lastStartedAt: number | undefined;
  let running: Promise<SchedulerRun> | undefined;
  let cancel: (() => void) | undefined;
  let stopped = false;
  const stats = { runs: 0, skipped: 0, settled: 0, failed: 0 };

  const due = (m: MemberPointsActivity) => m.gateways > 1 && (settledCount.get(m.member) as { n: number } | undefined)?.n !== m.pointsEvents;

  /** Settles one member; true when every gateway took its command. */
  async function settleOne(m: MemberPointsActivity): Promise<boolean> {
    try {
      const r = await o.settlement.settleMember(m.member);
      if (r.failed.length) {
        log.warn({ member: m.member, failed: r.failed, sent: r.sent.length }, 'settle-member not sent to every gateway; retried next run');
        return false;
      }
      // The count read before settling: events that arrived meanwhile make the next run settle again.
      markSettled.run(m.member, m.pointsEvents, o.clock());
      log.info({ member: m.member, balance: r.settlement.balance, debt: r.settlement.debt, gateways: r.sent.length }, 'member settled');
      return true;
    } catch (err) {
      log.error({ err, member: m.member }, 'settling member failed; retried next run');
      return false;
    }
  }

  async function run(): Promise<SchedulerRun> {
    const startedAt = o.clock();
    const since = lastStartedAt === undefined ? undefined : lastStartedAt - margin;
    const out: SchedulerRun = { skipped: false, candidates: 0, settled: [], failed: [], snapshots: 0 };
    let after = '';
    let scanned = false;
    try {
      for (;;) {
        const page = await o.store.memberPointsActivity({ limit: PAGE, afterMember: after, ...(since === undefined ? {} : { receivedSinceMs: since }) });
        for (const m of page) {
          if (!due(m)) continue;
          out.candidates++;
          ((await settleOne(m)) ? out.settled : out.failed).push(m.member);
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1]!.member;
      }
      scanned = true;
    } catch (err) {
      log.error({ err }, 'finding members to settle failed; retried next run');
    }
    if (scanned && out.failed.length === 0) lastStartedAt = startedAt;
    if (o.snapshots) {
      try {
        out.snapshots = await o.snapshots.pump();
      } catch (err) {
        log.error({ err }, 'member snapshots failed');
      }
    }
    stats.runs++;
    stats.settled += out.settled.length;
    stats.failed += out.failed.length;
    const summary = { settled: out.settled.length, failed: out.failed.length, snapshots: out.snapshots, ms: o.clock() - startedAt };
    if (out.candidates || out.snapshots) log.info(summary, 'settlement run');
    else log.debug(summary, 'settlement run: nothing to do');
    return out;
  }

  /** One run now; resolves `{skipped: true}` at once when one is already in progress, after stop, or when not ready. */
  function tick(): Promise<SchedulerRun> {
    const skip = (why: string) => {
      stats.skipped++;
      log.debug(`tick skipped: ${why}`);
      return Promise.resolve({ skipped: true, candidates: 0, settled: [], failed: [], snapshots: 0 });
    };
    if (stopped) return skip('stopped');
    if (running) return skip('the previous run is still in progress');
    if (o.ready && !o.ready()) return skip('not ready (broker link down?)');
    running = run().finally(() => (running = undefined));
    return running;
  }

  return {
    tick,
    stats: () => ({ ...stats }),
    start() {
      if (cancel || stopped) return;
      cancel = (o.every ?? systemEvery)(intervalMs, () => void tick());
      log.info({ intervalMs }, 'settlement scheduler started');
    },
    /** No new runs; waits for the one in progress. */
    async stop() {
      stopped = true;
      cancel?.();
      cancel = undefined;
      await running?.catch(() => undefined);
    },
  };
}
export type SettlementScheduler = ReturnType<typeof createSettlementScheduler>;
