/**
 * `redeem`: a voucher presented at a till is accepted once. The voucher row changes from
 * `issued` to `redeemed` under a status guard inside the request's IMMEDIATE transaction,
 * so of two lanes presenting the same code at the same moment exactly one gets `ok: true`
 * (SQLite serialises the writers; the second sees `redeemed`). A resend under the same
 * request id replays the stored answer (till-service.ts); a resend under a new id from the
 * same lane for the same receipt (the till failed open and asks again) is answered ok again.
 * Refusals are not recorded: they are re-evaluated, and a refused voucher stays refused.
 */
import { formatVoucher, parseVoucher } from '../../core/rewards/voucher-code';
import { voucherUsable } from '../../core/rewards/catalogue';
import type { RedeemRefusal, RedeemRequest, TillResponse } from '../../core/till/messages';
import { localDate } from '../../core/time/local-date';
import { VoucherRedeemed } from '../../../sync/schemas/loyalty-events';
import { fault } from '../../core/faults';
import { answer, type Handled, type TillContext } from './till-context';

export function handleRedeem(c: TillContext, req: RedeemRequest, lane: string, now: number): Handled {
  const refuse = (voucher: string, reason: RedeemRefusal, message: string): Handled =>
    answer({ v: 1, id: req.id, type: 'redeem.ok', ok: false, voucher, reward: null, member: null, reason, message }, false);

  const parsed = parseVoucher(req.voucher);
  if (!parsed.ok) return refuse(req.voucher.slice(0, 32), parsed.error.code, parsed.error.message);
  const code = parsed.value;
  const shown = formatVoucher(code);
  const repo = c.program.repo;
  const v = repo.voucher(code);
  const today = localDate(now, c.store.timeZone);
  const reward = v ? c.program.config.rewards.find((r) => r.id === v.rewardId) : undefined;
  const member = v ? c.members.byId(v.memberId) : undefined;
  const accepted = (): Handled => {
    const response: TillResponse = {
      v: 1,
      id: req.id,
      type: 'redeem.ok',
      ok: true,
      voucher: shown,
      reward: { id: v!.rewardId, name: reward?.name ?? v!.rewardId, ...(reward?.valueCents !== undefined ? { valueCents: reward.valueCents } : {}) },
      member: member ? { number: member.number, name: member.name } : null,
    };
    return answer(response, true);
  };

  if (v?.status === 'redeemed' && req.onReceipt !== undefined && v.redeemedLane === lane && v.redeemedReceipt === req.onReceipt) return accepted();
  const usable = voucherUsable(v, today);
  if (!usable.ok) return refuse(shown, usable.error.code, usable.error.message);
  if (!repo.redeemVoucher(code, now, lane, req.onReceipt ?? null)) {
    // Cannot happen inside one IMMEDIATE transaction; a fault, not a refusal.
    throw fault('TROUW_VOUCHER_STATE_RACE', code);
  }
  // A voucher's member is never deleted (erasure keeps the number and the balance).
  if (!member) throw fault('TROUW_LEDGER_MISSING_MEMBER', `voucher ${code} of member ${v!.memberId}`);
  c.outbox.append({
    event: VoucherRedeemed,
    subject: v!.memberId,
    at: now,
    data: { memberId: v!.memberId, memberNumber: member.number, code, rewardId: v!.rewardId, points: v!.points, lane, receipt: req.onReceipt ?? null },
  });
  return accepted();
}
