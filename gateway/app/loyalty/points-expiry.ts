/**
 * Expiry of points lots (DESIGN.md §7): a lot whose `expires_on` has come (≤ the store-local
 * date) loses what it still holds, as an `expire` ledger entry with its outbox event.
 *
 * There is no index on expires_on (it would cost every sale a page), so a run walks the lots
 * in primary-key order in small chunks, one short transaction each; the caller can yield to
 * the event loop between chunks (`step`) so the till is never held up for long.
 *
 * Exactly once per lot: the run on date D expires lots with expires_on ≤ D that still hold
 * points, and writes the entry under the unique key `lot:{id}:expire`; an emptied lot is
 * skipped by the next run. So a second run on the same day, or the first run after a month
 * powered off (which catches up every date at once), expires each lot once.
 *
 * With `noticeDays` the same walk sends `trouw.points.expiring.v1` once per lot that
 * expires within that many days (lot_notices remembers it), so HQ can warn the member.
 */
import { createLedgerRepo } from '../../adapters/sqlite/ledger-repo';
import { createMembersRepo } from '../../adapters/sqlite/members-repo';
import type { Db } from '../../adapters/sqlite/open-database';
import { createOutboxWriter } from '../../../sync/gateway/outbox-writer';
import { PointsExpired, PointsExpiring } from '../../../sync/schemas/loyalty-events';
import { lotsDue } from '../../core/loyalty/lots';
import { lotsDueNotice } from '../../core/loyalty/expiry-notices';
import { createProgramRepo } from '../../adapters/sqlite/program-repo';
import { localDate } from '../../core/time/local-date';
import type { Clock } from '../../ports/clock';
import { createIdFactory } from '../shared/ids';
import { fault } from '../../core/faults';

export interface ExpiryProgress {
  done: boolean;
  scanned: number;
  expiredLots: number;
  points: number;
  /** Expiry notices sent (lots expiring within `noticeDays`). */
  notices: number;
}

export function createPointsExpiry(deps: { db: Db; clock: Clock; timeZone: string; chunk?: number; noticeDays?: number }) {
  const ledger = createLedgerRepo(deps.db);
  const members = createMembersRepo(deps.db);
  const ids = createIdFactory(deps.clock);
  const outbox = createOutboxWriter(deps.db, { newId: ids });
  const chunk = deps.chunk ?? 2000;
  const program = deps.noticeDays !== undefined ? createProgramRepo(deps.db) : undefined;

  const stepTx = deps.db.transaction((cursor: { memberId: string; lotId: string }, today: string, now: number) => {
    const rows = ledger.lotsAfter(cursor.memberId, cursor.lotId, chunk);
    let expiredLots = 0;
    let points = 0;
    for (const lot of lotsDue(rows, today)) {
      const member = members.byId(lot.memberId);
      if (!member) throw fault('TROUW_LEDGER_MISSING_MEMBER', `lot ${lot.id} of member ${lot.memberId}`);
      const entry = {
        id: ids(),
        key: `lot:${lot.id}:expire`,
        memberId: lot.memberId,
        kind: 'expire' as const,
        points: -lot.remaining,
        deficitDelta: 0,
        saleId: lot.saleId ?? null,
        reason: null,
        at: now,
      };
      ledger.insertEntry(entry);
      ledger.setLotRemaining(lot.memberId, lot.id, 0);
      members.setAccount(member.id, member.balance - lot.remaining, member.deficit);
      outbox.append({
        event: PointsExpired,
        subject: lot.memberId,
        at: now,
        data: {
          memberId: lot.memberId,
          memberNumber: member.number,
          lotId: lot.id,
          expiresOn: lot.expiresOn,
          points: lot.remaining,
          entry: { id: entry.id, key: entry.key, kind: entry.kind, points: entry.points },
          balance: member.balance - lot.remaining,
        },
      });
      expiredLots++;
      points += lot.remaining;
    }
    let notices = 0;
    if (program && deps.noticeDays !== undefined) {
      for (const lot of lotsDueNotice(rows, today, deps.noticeDays)) {
        if (!program.markNotice(lot.memberId, lot.id, today)) continue;
        const member = members.byId(lot.memberId);
        if (!member) throw fault('TROUW_LEDGER_MISSING_MEMBER', `lot ${lot.id} of member ${lot.memberId}`);
        outbox.append({
          event: PointsExpiring,
          subject: lot.memberId,
          at: now,
          data: { memberId: lot.memberId, memberNumber: member.number, lotId: lot.id, expiresOn: lot.expiresOn, points: lot.remaining },
        });
        notices++;
      }
    }
    const last = rows[rows.length - 1];
    if (last) {
      cursor.memberId = last.memberId;
      cursor.lotId = last.id;
    }
    return { scanned: rows.length, expiredLots, points, notices, done: rows.length < chunk };
  });

  /** Starts a run for the store-local date at `now`; call `step()` until `done`. */
  function start(now = deps.clock.now()) {
    const today = localDate(now, deps.timeZone);
    const cursor = { memberId: '', lotId: '' };
    const total: ExpiryProgress = { done: false, scanned: 0, expiredLots: 0, points: 0, notices: 0 };
    return {
      today,
      step(): ExpiryProgress {
        if (total.done) return { ...total };
        const r = stepTx.immediate(cursor, today, now);
        total.scanned += r.scanned;
        total.expiredLots += r.expiredLots;
        total.points += r.points;
        total.notices += r.notices;
        total.done = r.done;
        return { ...total };
      },
    };
  }

  /** A whole run at once (tests, tools). */
  function runAll(now?: number): ExpiryProgress & { today: string } {
    const run = start(now);
    let p = run.step();
    while (!p.done) p = run.step();
    return { ...p, today: run.today };
  }

  return { start, runAll };
}
