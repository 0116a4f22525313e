/**
 * Rewards for the kiosk and phones (issue 6): the catalogue, buying a reward with points
 * (a voucher), cancelling an unused voucher (points back, once), a member's vouchers.
 * Each operation is one IMMEDIATE transaction with its ledger entry and outbox event.
 * The till side (accepting a voucher once) is till-redeem.ts.
 *
 * A voucher code is 10 crypto-random Crockford base32 characters and a check character
 * (core/rewards/voucher-code.ts). The points a voucher cost are taken oldest-expiring
 * first; a cancel gives them back as new lots with the SAME expiry dates they had (a cancel
 * cannot extend points' life), so points whose date passed meanwhile expire at the next run.
 * An expired voucher cannot be cancelled: its points were spent on it.
 */
import { fault } from '../../core/faults';
import { randomBytes } from 'node:crypto';
import type { Db } from '../../adapters/sqlite/open-database';
import type { VoucherRow } from '../../adapters/sqlite/program-repo';
import type { ProgramConfig, RewardConfig } from '../../config/loyalty-program-schema';
import type { SpendRefusal } from '../../core/loyalty/budget';
import { rewardAvailable, voucherUsable, voucherValidUntil, type RewardRefusal, type VoucherRefusal } from '../../core/rewards/catalogue';
import { formatVoucher, parseVoucher, RANDOM_BYTES, voucherFromBytes, type VoucherCodeError } from '../../core/rewards/voucher-code';
import { err, ok, type Result } from '../../core/result';
import { localDate } from '../../core/time/local-date';
import type { Clock } from '../../ports/clock';
import { entryEvent } from './ledger-writer';
import { createProgramContext } from './program-context';
import { VoucherCancelled, VoucherIssued } from '../../../sync/schemas/loyalty-events';
import type { SpendTake } from './program';

export type RedeemRewardError = { code: 'unknown-member'; message: string } | { code: 'request-key-reused'; message: string } | RewardRefusal | SpendRefusal;
export type CancelVoucherError = VoucherCodeError | VoucherRefusal;

export interface IssuedVoucher {
  /** Canonical 11 characters (what the till may send). */
  code: string;
  /** `XXXXX-XXXXX-C`, for print and screen. */
  display: string;
  rewardId: string;
  rewardName: string;
  points: number;
  /** Last valid store-local date. */
  validUntil: string;
  balance: number;
}

export interface CatalogueItem {
  reward: RewardConfig;
  available: boolean;
  reason?: RewardRefusal['code'];
  /** Vouchers left in this store; absent: unlimited. */
  stockLeft?: number;
}

export function createRewards(deps: { db: Db; clock: Clock; timeZone: string; program?: ProgramConfig | undefined; random?: (n: number) => Uint8Array }) {
  const { db, clock } = deps;
  const ctx = createProgramContext(deps);
  const { program, members, outbox } = ctx;
  const repo = program.repo;
  const random = deps.random ?? ((n: number) => randomBytes(n));
  const rewardById = (id: string) => program.config.rewards.find((r) => r.id === id);
  const today = (now: number) => localDate(now, deps.timeZone);

  const redeemTx = db.transaction(
    (memberNumber: string, rewardId: string, now: number, requestKey: string | undefined): Result<IssuedVoucher, RedeemRewardError> => {
      const member = members.byNumber(memberNumber);
      if (!member) return err({ code: 'unknown-member', message: 'no such member' });
      // A retried request: the voucher it issued, with the balance as it is now; nothing spent again.
      const earlier = requestKey === undefined ? undefined : repo.voucherByRequest(requestKey);
      if (earlier) {
        if (earlier.requestMemberId !== member.id || earlier.rewardId !== rewardId) {
          return err({ code: 'request-key-reused', message: 'this request key was used for another redeem' });
        }
        return ok({
          code: earlier.code,
          display: formatVoucher(earlier.code),
          rewardId,
          rewardName: rewardById(rewardId)?.name ?? rewardId,
          points: earlier.points,
          validUntil: earlier.validUntil,
          balance: member.balance,
        });
      }
      const day = today(now);
      const reward = rewardAvailable(rewardById(rewardId), day, repo.stockIssued(rewardId));
      if (!reward.ok) return reward;
      let code = voucherFromBytes(random(RANDOM_BYTES));
      // 50 random bits: a clash is ~never, but a unique key must not turn into a fault.
      for (let i = 0; repo.voucher(code) && i < 5; i++) code = voucherFromBytes(random(RANDOM_BYTES));
      const spent = program.spend(member, { points: reward.value.points, key: `voucher:${code}:burn`, reason: `reward:${rewardId}`, today: day, now });
      if (!spent.ok) return spent;
      const validUntil = voucherValidUntil(reward.value, day);
      repo.insertVoucher({
        code,
        memberId: member.id,
        rewardId,
        points: reward.value.points,
        issuedAt: now,
        validUntil,
        burnKey: spent.value.entry.key,
        takes: JSON.stringify(spent.value.takes),
      });
      repo.bumpStock(rewardId, 1);
      if (requestKey !== undefined) repo.insertVoucherRequest(requestKey, member.id, code);
      outbox.append({
        event: VoucherIssued,
        subject: member.id,
        at: now,
        data: {
          memberId: member.id,
          memberNumber: member.number,
          code,
          rewardId,
          points: reward.value.points,
          validUntil,
          entries: [entryEvent(spent.value.entry)],
          balance: spent.value.account.balance,
        },
      });
      return ok({
        code,
        display: formatVoucher(code),
        rewardId,
        rewardName: reward.value.name,
        points: reward.value.points,
        validUntil,
        balance: spent.value.account.balance,
      });
    },
  );

  const cancelTx = db.transaction((text: string, now: number): Result<{ code: string; refunded: number; balance: number }, CancelVoucherError> => {
    const parsed = parseVoucher(text);
    if (!parsed.ok) return parsed;
    const code = parsed.value;
    const v = repo.voucher(code);
    const usable = voucherUsable(v, today(now));
    if (!usable.ok) return usable;
    if (!repo.cancelVoucher(code, now)) throw fault('TROUW_VOUCHER_STATE_RACE', code);
    const member = members.byId(v!.memberId)!;
    const takes = JSON.parse(v!.takes) as SpendTake[];
    const credited = program.credit(member, {
      key: `voucher:${code}:cancel`,
      reason: `voucher-cancelled:${v!.rewardId}`,
      now,
      parts: takes.map((t) => ({ points: t.take, expiresOn: t.expiresOn })),
    });
    repo.bumpStock(v!.rewardId, -1);
    outbox.append({
      event: VoucherCancelled,
      subject: member.id,
      at: now,
      data: {
        memberId: member.id,
        memberNumber: member.number,
        code,
        rewardId: v!.rewardId,
        points: v!.points,
        entries: credited.entries.map(entryEvent),
        balance: credited.account.balance,
      },
    });
    return ok({ code, refunded: v!.points, balance: credited.account.balance });
  });

  return {
    /**
     * Buys `rewardId` with the member's points and issues a voucher; refused with a reason
     * (stock, budget, cap, balance). With a `requestKey`, the same key gives the same voucher
     * and spends once (a retried kiosk press); the key used for another member or reward is refused.
     */
    redeemReward: (memberNumber: string, rewardId: string, requestKey?: string): Result<IssuedVoucher, RedeemRewardError> =>
      redeemTx.immediate(memberNumber, rewardId, clock.now(), requestKey),
    /** Cancels an unused, unexpired voucher and gives its points back (once: a second cancel is refused `cancelled`). */
    cancelVoucher: (code: string): Result<{ code: string; refunded: number; balance: number }, CancelVoucherError> => cancelTx.immediate(code, clock.now()),
    /** The catalogue as a member sees it today: availability and stock left. */
    catalogue: (now = clock.now()): CatalogueItem[] =>
      program.config.rewards.map((r) => {
        const issued = repo.stockIssued(r.id);
        const a = rewardAvailable(r, today(now), issued);
        return {
          reward: r,
          available: a.ok,
          ...(a.ok ? {} : { reason: a.error.code }),
          ...(r.stock !== undefined ? { stockLeft: Math.max(0, r.stock - issued) } : {}),
        };
      }),
    /** A member's vouchers with their state today (`expired` when issued and past its date). */
    vouchersOf: (memberNumber: string, now = clock.now()): (VoucherRow & { display: string; state: VoucherRow['status'] | 'expired' })[] => {
      const member = members.byNumber(memberNumber);
      if (!member) return [];
      const day = today(now);
      return repo
        .vouchersOf(member.id)
        .map((v) => ({ ...v, display: formatVoucher(v.code), state: v.status === 'issued' && day > v.validUntil ? 'expired' : v.status }));
    },
  };
}
export type Rewards = ReturnType<typeof createRewards>;
