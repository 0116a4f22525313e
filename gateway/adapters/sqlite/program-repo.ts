/** Loyalty program state (migration 004): tiers, activity, HQ snapshot, daily spend, vouchers, notices. */
import type { Db } from './open-database';

export interface ProgramRow {
  memberId: string;
  tier: string;
  tierSince: string;
  hqBalance: number | null;
  hqAsOf: number | null;
  birthday: string | null;
}

export interface VoucherRow {
  code: string;
  memberId: string;
  rewardId: string;
  points: number;
  status: 'issued' | 'redeemed' | 'cancelled';
  issuedAt: number;
  validUntil: string;
  burnKey: string;
  /** JSON [{lotId, take, expiresOn}] */
  takes: string;
  redeemedAt: number | null;
  redeemedLane: string | null;
  redeemedReceipt: string | null;
  cancelledAt: number | null;
}

const PROGRAM_COLS = 'member_id AS memberId, tier, tier_since AS tierSince, hq_balance AS hqBalance, hq_as_of AS hqAsOf, birthday';
const VOUCHER_COLS = `code, member_id AS memberId, reward_id AS rewardId, points, status, issued_at AS issuedAt, valid_until AS validUntil,
  burn_key AS burnKey, takes, redeemed_at AS redeemedAt, redeemed_lane AS redeemedLane, redeemed_receipt AS redeemedReceipt,
  cancelled_at AS cancelledAt`;

export function createProgramRepo(db: Db) {
  const get = db.prepare<[string], ProgramRow>(`SELECT ${PROGRAM_COLS} FROM member_program WHERE member_id = ?`);
  const ensure = db.prepare<[string, string, string]>(
    'INSERT INTO member_program (member_id, tier, tier_since) VALUES (?, ?, ?) ON CONFLICT (member_id) DO NOTHING',
  );
  const setTier = db.prepare<[string, string, string]>('UPDATE member_program SET tier = ?, tier_since = ? WHERE member_id = ?');
  const insertTier = db.prepare<[string, string, string]>('INSERT INTO member_program (member_id, tier, tier_since) VALUES (?, ?, ?)');
  const setSnapshot = db.prepare<[number, number, string]>('UPDATE member_program SET hq_balance = ?, hq_as_of = ? WHERE member_id = ?');
  const setBirthday = db.prepare<[string | null, string]>('UPDATE member_program SET birthday = ? WHERE member_id = ?');
  const activity = db.prepare<[string, string], { month: string; points: number; cents: number }>(
    'SELECT month, points, cents FROM tier_activity WHERE member_id = ? AND month >= ? ORDER BY month',
  );
  const addActivity = db.prepare<[string, string, number, number]>(
    `INSERT INTO tier_activity (member_id, month, points, cents) VALUES (?, ?, ?, ?)
     ON CONFLICT (member_id, month) DO UPDATE SET points = points + excluded.points, cents = cents + excluded.cents`,
  );
  const netSince = db.prepare<[string, number], { n: number | null }>('SELECT sum(points) AS n FROM ledger_entries WHERE member_id = ? AND at > ?');
  const spentOn = db.prepare<[string, string], { points: number }>('SELECT points FROM member_spend_days WHERE member_id = ? AND day = ?');
  const addSpend = db.prepare<[string, string, number]>(
    `INSERT INTO member_spend_days (member_id, day, points) VALUES (?, ?, ?)
     ON CONFLICT (member_id, day) DO UPDATE SET points = points + excluded.points`,
  );
  const aboveLowest = db.prepare<[string, string, number], { memberId: string }>(
    'SELECT member_id AS memberId FROM member_program WHERE tier != ? AND member_id > ? ORDER BY member_id LIMIT ?',
  );
  const insertVoucher = db.prepare<[string, string, string, number, number, string, string, string]>(
    `INSERT INTO vouchers (code, member_id, reward_id, points, status, issued_at, valid_until, burn_key, takes)
     VALUES (?, ?, ?, ?, 'issued', ?, ?, ?, ?)`,
  );
  const voucher = db.prepare<[string], VoucherRow>(`SELECT ${VOUCHER_COLS} FROM vouchers WHERE code = ?`);
  const vouchersOf = db.prepare<[string], VoucherRow>(`SELECT ${VOUCHER_COLS} FROM vouchers WHERE member_id = ? ORDER BY issued_at, code`);
  // The status guard makes the change conditional: two lanes racing both run it, one changes a row.
  const redeem = db.prepare<[number, string, string | null, string]>(
    "UPDATE vouchers SET status = 'redeemed', redeemed_at = ?, redeemed_lane = ?, redeemed_receipt = ? WHERE code = ? AND status = 'issued'",
  );
  const cancel = db.prepare<[number, string]>("UPDATE vouchers SET status = 'cancelled', cancelled_at = ? WHERE code = ? AND status = 'issued'");
  const voucherByRequest = db.prepare<[{ key: string }], VoucherRow & { requestMemberId: string }>(
    `SELECT ${VOUCHER_COLS}, (SELECT member_id FROM voucher_requests WHERE request_key = @key) AS requestMemberId
     FROM vouchers WHERE code = (SELECT code FROM voucher_requests WHERE request_key = @key)`,
  );
  const insertVoucherRequest = db.prepare<[string, string, string]>('INSERT INTO voucher_requests (request_key, member_id, code) VALUES (?, ?, ?)');
  const stock = db.prepare<[string], { issued: number }>('SELECT issued FROM reward_stock WHERE reward_id = ?');
  const ensureStock = db.prepare<[string]>('INSERT OR IGNORE INTO reward_stock (reward_id, issued) VALUES (?, 0)');
  const bumpStock = db.prepare<[number, string]>('UPDATE reward_stock SET issued = max(0, issued + ?) WHERE reward_id = ?');
  const notice = db.prepare<[string, string, string]>('INSERT OR IGNORE INTO lot_notices (member_id, lot_id, sent_on) VALUES (?, ?, ?)');
  const insertRun = db.prepare<[string, number, number, number, number]>(
    'INSERT OR REPLACE INTO program_runs (day, finished_at, expired_lots, notices, tiers_changed) VALUES (?, ?, ?, ?, ?)',
  );
  const lastRun = db.prepare<[], { day: string }>('SELECT day FROM program_runs ORDER BY day DESC LIMIT 1');
  const insertBonus = db.prepare<[string, string, string, string, number]>(
    'INSERT OR IGNORE INTO bonus_awards (member_id, key, kind, day, points) VALUES (?, ?, ?, ?, ?)',
  );
  const bonusCount = db.prepare<[string, string, string, string], { n: number }>(
    'SELECT count(*) AS n FROM bonus_awards WHERE member_id = ? AND kind = ? AND day >= ? AND day <= ?',
  );
  // Net points (earn + reverse) of the member's sales with a business date after `date`.
  const pendingAfter = db.prepare<[string, string, string], { n: number | null }>(
    `SELECT sum(points) AS n FROM ledger_entries
      WHERE member_id = ? AND kind IN ('earn', 'reverse')
        AND sale_id IN (SELECT s.id FROM ledger_entries x JOIN sales s ON s.id = x.sale_id
                         WHERE x.member_id = ? AND x.kind = 'earn' AND s.business_date > ?)`,
  );
  const bonusPoints = db.prepare<[string, string, string], { n: number | null }>(
    'SELECT sum(points) AS n FROM bonus_awards WHERE member_id = ? AND day >= ? AND day <= ?',
  );
  // No index on birthday: the daily job reads it once a day, a scan of the program rows.
  const withBirthday = db.prepare<[string], { memberId: string }>(
    'SELECT member_id AS memberId FROM member_program WHERE birthday IN (SELECT value FROM json_each(?)) ORDER BY member_id',
  );

  return {
    get: (memberId: string): ProgramRow | undefined => get.get(memberId),
    /** Creates the member's program row if missing (lowest tier). */
    ensure: (memberId: string, tier: string, since: string): void => {
      ensure.run(memberId, tier, since);
    },
    setTier: (memberId: string, tier: string, since: string): void => {
      setTier.run(tier, since, memberId);
    },
    /** The program row of a member who has none yet, with this tier. */
    insertTier: (memberId: string, tier: string, since: string): void => {
      insertTier.run(memberId, tier, since);
    },
    setSnapshot: (memberId: string, balance: number, asOf: number): void => {
      setSnapshot.run(balance, asOf, memberId);
    },
    setBirthday: (memberId: string, birthday: string | null): void => {
      setBirthday.run(birthday, memberId);
    },
    activitySince: (memberId: string, month: string) => activity.all(memberId, month),
    addActivity: (memberId: string, month: string, points: number, cents: number): void => {
      addActivity.run(memberId, month, points, cents);
    },
    /** Σ points of the member's ledger entries after `at` (one primary-key range of the member). */
    netSince: (memberId: string, at: number): number => netSince.get(memberId, at)?.n ?? 0,
    spentOn: (memberId: string, day: string): number => spentOn.get(memberId, day)?.points ?? 0,
    addSpend: (memberId: string, day: string, points: number): void => {
      addSpend.run(memberId, day, points);
    },
    membersAboveTier: (lowest: string, after: string, limit: number): string[] => aboveLowest.all(lowest, after, limit).map((r) => r.memberId),
    insertVoucher: (v: {
      code: string;
      memberId: string;
      rewardId: string;
      points: number;
      issuedAt: number;
      validUntil: string;
      burnKey: string;
      takes: string;
    }): void => {
      insertVoucher.run(v.code, v.memberId, v.rewardId, v.points, v.issuedAt, v.validUntil, v.burnKey, v.takes);
    },
    voucher: (code: string): VoucherRow | undefined => voucher.get(code),
    vouchersOf: (memberId: string): VoucherRow[] => vouchersOf.all(memberId),
    /** True when this call redeemed it (it was `issued`). */
    redeemVoucher: (code: string, at: number, lane: string, receipt: string | null): boolean => redeem.run(at, lane, receipt, code).changes === 1,
    cancelVoucher: (code: string, at: number): boolean => cancel.run(at, code).changes === 1,
    /** The voucher a redeem request key issued (migration 007), with the member who asked. */
    voucherByRequest: (key: string): (VoucherRow & { requestMemberId: string }) | undefined => voucherByRequest.get({ key }),
    insertVoucherRequest: (key: string, memberId: string, code: string): void => void insertVoucherRequest.run(key, memberId, code),
    stockIssued: (rewardId: string): number => stock.get(rewardId)?.issued ?? 0,
    bumpStock: (rewardId: string, delta: number): void => {
      ensureStock.run(rewardId);
      bumpStock.run(delta, rewardId);
    },
    /** True when the notice was not sent before (and is now marked sent). */
    markNotice: (memberId: string, lotId: string, day: string): boolean => notice.run(memberId, lotId, day).changes === 1,
    recordRun: (r: { day: string; finishedAt: number; expiredLots: number; notices: number; tiersChanged: number }): void => {
      insertRun.run(r.day, r.finishedAt, r.expiredLots, r.notices, r.tiersChanged);
    },
    lastRunDay: (): string | undefined => lastRun.get()?.day,
    /** True when the award is new. */
    insertBonus: (b: { memberId: string; key: string; kind: string; day: string; points: number }): boolean =>
      insertBonus.run(b.memberId, b.key, b.kind, b.day, b.points).changes === 1,
    bonusCount: (memberId: string, kind: string, from: string, to: string): number => bonusCount.get(memberId, kind, from, to)!.n,
    /** Net points of the member's sales with a business date after `date`: what is still pending. */
    pendingAfter: (memberId: string, date: string): number => pendingAfter.get(memberId, memberId, date)?.n ?? 0,
    /** Σ bonus points of all kinds awarded to the member on days from..to (inclusive). */
    bonusPoints: (memberId: string, from: string, to: string): number => bonusPoints.get(memberId, from, to)?.n ?? 0,
    /** Members whose birthday (MM-DD) is one of `birthdays`. */
    membersWithBirthday: (birthdays: readonly string[]): string[] => withBirthday.all(JSON.stringify(birthdays)).map((r) => r.memberId),
  };
}
export type ProgramRepo = ReturnType<typeof createProgramRepo>;
