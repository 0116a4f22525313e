/**
 * HQ's commands to this gateway (issue 5, DESIGN.md §7, §9), run by the sync downlink INSIDE
 * its transaction: the handler's writes, the record of the command id and the
 * `trouw.command.applied.v1` event commit together, so a replayed command is applied once.
 *
 * - `erase-member`: the member's cards (tokens), presence rows, offer consent and unredeemed
 *   offers, and their entries in HQ's stored rotating-token table are purged, the name
 *   blanked. The ledger, sales and the member's row (id, number, balance) stay: bookkeeping
 *   law (§9), and HQ settles by number. Returns the counts purged.
 * - `adjust-points`: one audited `adjust` ledger entry keyed by the command id (a replay that
 *   got past the downlink's record still cannot write twice). Positive points become a lot
 *   with the earning rules' lifetime and settle a deficit first (program.credit); negative
 *   points are taken oldest-expiring lot first and what the balance lacks is recorded as
 *   deficit — the balance never goes below zero. The `trouw.points.adjusted.v1` outbox row is
 *   written in the same transaction.
 * - `settle-member` (HQ settlement, docs/loyalty.md): HQ's balance becomes the member's
 *   snapshot (the offline budget's base) and the account is aligned to HQ's: one audited
 *   `adjust` entry keyed `cmd:{id}:settle` moves the balance to HQ's (a lot with the earning
 *   rules' lifetime, or taken oldest-expiring first) and the deficit to HQ's debt. The entry
 *   is dated at HQ's `asOf` (not later), so the offline budget does not count it as a local
 *   change since the snapshot. No points event goes up: HQ already counted every event; the
 *   `command.applied` detail carries what moved.
 * - `member-snapshot`: HQ's confirmed balance as the snapshot only; the ledger is not touched.
 * - `set-segment` (issue 17): an HQ segment as an offer audience. The listed members carry the
 *   tag in offer_members.segments, every other member loses it. Members without an
 *   offer_members row (no consent recorded) are counted as skipped: a segment grants no
 *   consent, so they would get no offer anyway.
 */
import type { Db } from '../../adapters/sqlite/open-database';
import type { LedgerEntry } from '../../adapters/sqlite/ledger-repo';
import type { ProgramConfig } from '../../config/loyalty-program-schema';
import type { Account } from '../../core/loyalty/account';
import { lotExpiry } from '../../core/loyalty/lots';
import { err, ok, type Result } from '../../core/result';
import { localDate } from '../../core/time/local-date';
import type { Clock } from '../../ports/clock';
import type { CommandContext, CommandError, CommandHandlers } from '../../../sync/gateway/downlink';
import type { AdjustPointsArgs, EraseMemberArgs, MemberSnapshotArgs, SetSegmentArgs, SettleMemberArgs } from '../../../sync/schemas/downlink';
import { entryEvent } from '../loyalty/ledger-writer';
import { createProgramContext } from '../loyalty/program-context';
import { isoTime } from '../shared/iso-time';
import { PointsAdjusted } from '../../../sync/schemas/command-events';

export interface SyncCommandDeps {
  db: Db;
  clock: Clock;
  timeZone: string;
  /** Lifetime of credited points (the earning rules' `loyalty.expiryMonths`). */
  expiryMonths: number;
  program?: ProgramConfig | undefined;
  /**
   * In-memory holders of a member (presence tracks, offer triggers) to forget on erasure.
   * Called inside the command's transaction: forgetting cannot be rolled back, and need not be.
   */
  forgetMember?: (memberNumber: string) => void;
}

const unknownMember = (): CommandError => ({ code: 'unknown-member', message: 'no member with that number at this store' });

export function createSyncCommands(deps: SyncCommandDeps): CommandHandlers {
  const { db } = deps;
  const ctx = createProgramContext({ db, clock: deps.clock, program: deps.program });
  const { members, ledgerRepo, outbox, writer, program } = ctx;
  const has = (table: string) => !!db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
  const run = (sql: string, ...args: unknown[]) => db.prepare(sql).run(...args).changes;

  function eraseMember(args: EraseMemberArgs, c: CommandContext): Result<Record<string, unknown>, CommandError> {
    const member = members.byNumber(args.member);
    if (!member) return err(unknownMember());
    deps.forgetMember?.(member.number);
    const purged: Record<string, number> = {};
    purged.cards = run('DELETE FROM cards WHERE member_id = ?', member.id);
    const subject = `member:${member.number}`;
    if (has('presence_events')) purged.presenceEvents = run('DELETE FROM presence_events WHERE subject = ?', subject);
    if (has('presence_visits')) purged.presenceVisits = run('DELETE FROM presence_visits WHERE subject = ?', subject);
    if (has('offer_members')) purged.offerConsent = run('DELETE FROM offer_members WHERE member_number = ?', member.number);
    // A redeemed offer is part of a sale's bookkeeping, like the ledger: kept.
    if (has('offer_sends')) purged.offers = run(`DELETE FROM offer_sends WHERE member_number = ? AND state <> 'redeemed'`, member.number);
    purged.rotatingTokens = eraseFromStoredTokens(member.number);
    purged.name = run(`UPDATE members SET name = 'erased' WHERE id = ? AND name <> 'erased'`, member.id);
    return ok({ purged, kept: ['ledger', 'sales', 'member number and balance'], at: isoTime(c.now) });
  }

  /** HQ's rotating-token table lives in the stored HQ config (sync_config_state); drop the member's rows. */
  function eraseFromStoredTokens(number: string): number {
    if (!has('sync_config_state')) return 0;
    const row = db.prepare('SELECT doc FROM sync_config_state WHERE k = 1').get() as { doc: string } | undefined;
    if (!row) return 0;
    const doc = JSON.parse(row.doc) as { tokens?: { epochs?: { entries?: { member?: string }[] }[] } };
    let removed = 0;
    for (const epoch of doc.tokens?.epochs ?? []) {
      const before = epoch.entries?.length ?? 0;
      if (epoch.entries) epoch.entries = epoch.entries.filter((e) => e.member !== number);
      removed += before - (epoch.entries?.length ?? 0);
    }
    if (removed > 0) db.prepare('UPDATE sync_config_state SET doc = ? WHERE k = 1').run(JSON.stringify(doc));
    return removed;
  }

  function adjustPoints(args: AdjustPointsArgs, c: CommandContext): Result<Record<string, unknown>, CommandError> {
    const member = members.byNumber(args.member);
    if (!member) return err(unknownMember());
    const key = `cmd:${c.commandId}:adjust`;
    if (ledgerRepo.hasKey(member.id, key)) return ok({ replayed: true });
    // The audit trail: who at HQ, why, and (in the key) which command.
    const reason = `hq by ${args.by}: ${args.reason}`.slice(0, 700);
    let entries: LedgerEntry[];
    let account: Account;
    let deficitAdded = 0;
    if (args.points > 0) {
      const expiresOn = lotExpiry(localDate(c.now, deps.timeZone), deps.expiryMonths);
      ({ entries, account } = program.credit(member, { key, reason, parts: [{ points: args.points, expiresOn }], now: c.now }));
    } else {
      const d = writer.debit(member, { points: -args.points, key, reason, at: c.now });
      entries = [d.entry];
      account = d.account;
      deficitAdded = d.deficitAdded;
    }
    outbox.append({
      event: PointsAdjusted,
      subject: member.id,
      at: c.now,
      data: {
        memberId: member.id,
        memberNumber: member.number,
        points: args.points,
        reason: args.reason,
        by: args.by,
        commandId: c.commandId,
        entries: entries.map(entryEvent),
        balance: account.balance,
        deficit: account.deficit,
        deficitAdded,
      },
    });
    return ok({ points: args.points, balance: account.balance, deficit: account.deficit, deficitAdded });
  }

  function settleMember(args: SettleMemberArgs, c: CommandContext): Result<Record<string, unknown>, CommandError> {
    const member = members.byNumber(args.member);
    if (!member) return err(unknownMember());
    const key = `cmd:${c.commandId}:settle`;
    if (ledgerRepo.hasKey(member.id, key)) return ok({ replayed: true });
    const snapshot = program.applySnapshot(member, args.balance, args.asOf, localDate(c.now, deps.timeZone));
    // Older than (or as old as) the snapshot held: a newer settlement already aligned the account.
    if (!snapshot) return ok({ snapshot, stale: true, balance: member.balance, deficit: member.deficit });
    const points = args.balance - member.balance;
    const deficitDelta = args.debt - member.deficit;
    if (points === 0 && deficitDelta === 0) return ok({ snapshot, balance: member.balance, deficit: member.deficit, points: 0, deficitDelta: 0 });
    const at = Math.min(c.now, args.asOf);
    writer.settle(member, {
      balance: args.balance,
      debt: args.debt,
      key,
      at,
      expiresOn: lotExpiry(localDate(c.now, deps.timeZone), deps.expiryMonths),
      reason: `hq settlement ${c.commandId}: balance ${args.balance}, debt ${args.debt}, as of ${new Date(args.asOf).toISOString()}`,
    });
    return ok({ snapshot, balance: args.balance, deficit: args.debt, points, deficitDelta });
  }

  function memberSnapshot(args: MemberSnapshotArgs, c: CommandContext): Result<Record<string, unknown>, CommandError> {
    const member = members.byNumber(args.member);
    if (!member) return err(unknownMember());
    return ok({ applied: program.applySnapshot(member, args.balance, args.asOf, localDate(c.now, deps.timeZone)) });
  }

  function setSegment(args: SetSegmentArgs): Result<Record<string, unknown>, CommandError> {
    if (!has('offer_members')) return ok({ tagged: 0, untagged: 0, skipped: args.members.length });
    const wanted = new Set(args.members);
    const rows = db.prepare('SELECT member_number AS m, segments FROM offer_members').all() as { m: string; segments: string }[];
    const update = db.prepare('UPDATE offer_members SET segments = ? WHERE member_number = ?');
    let tagged = 0;
    let untagged = 0;
    let known = 0;
    for (const r of rows) {
      const tags = JSON.parse(r.segments) as string[];
      const has_ = tags.includes(args.segment);
      const want = wanted.has(r.m);
      if (want) known++;
      if (want && !has_) {
        update.run(JSON.stringify([...tags, args.segment]), r.m);
        tagged++;
      } else if (!want && has_) {
        update.run(JSON.stringify(tags.filter((t) => t !== args.segment)), r.m);
        untagged++;
      }
    }
    return ok({ segment: args.segment, members: known, tagged, untagged, skipped: wanted.size - known });
  }

  return {
    'erase-member': eraseMember,
    'set-segment': setSegment,
    'adjust-points': adjustPoints,
    'settle-member': settleMember,
    'member-snapshot': memberSnapshot,
  };
}
