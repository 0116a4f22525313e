import { afterEach, describe, expect, it } from 'vitest';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { defaultProgram } from '../../gateway/app/loyalty/program';
import { createRewards } from '../../gateway/app/loyalty/rewards';
import { createTillService } from '../../gateway/app/till/till-service';
import type { ProgramConfig } from '../../gateway/config/loyalty-program-schema';
import { defaultRules, STORE } from './sqlite-helpers';
import { line, makeTill, sale, type TestTill } from './till-service-helpers';

let t: TestTill | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

const program = (): ProgramConfig => {
  const p = defaultProgram();
  return { ...p, rewards: [{ id: 'koffie', name: 'Gratis koffie', points: 50, voucherDays: 7, stock: 2, valueCents: 250 }] };
};

function setup() {
  const prog = program();
  const tt = makeTill({ deps: { program: prog } });
  t = tt;
  tt.members.create({ number: 'M-1', name: 'Ada' });
  tt.send(sale('S-1', [line(20000)], 'M-1')); // 200 points
  const rewards = createRewards({ db: tt.db, clock: tt.clock, timeZone: STORE.timeZone, program: prog });
  return { tt, rewards, prog };
}

describe('rewards: vouchers', () => {
  it('buying a reward burns its points, issues a voucher, writes entry and outbox row; stock runs out', () => {
    const { tt, rewards } = setup();
    const v = rewards.redeemReward('M-1', 'koffie');
    expect(v).toMatchObject({ ok: true, value: { rewardId: 'koffie', points: 50, balance: 150, validUntil: '2024-06-21' } });
    expect(tt.count('ledger_entries', "kind = 'burn'")).toBe(1);
    expect(tt.count('outbox', "type = 'trouw.voucher.issued.v1'")).toBe(1);
    expect(rewards.redeemReward('M-1', 'koffie').ok).toBe(true);
    expect(rewards.redeemReward('M-1', 'koffie')).toMatchObject({ ok: false, error: { code: 'out-of-stock' } });
    expect(rewards.redeemReward('M-1', 'nope')).toMatchObject({ ok: false, error: { code: 'unknown-reward' } });
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true });
  });

  it('the till accepts a voucher once, under resends and from another lane', () => {
    const { tt, rewards } = setup();
    const v = rewards.redeemReward('M-1', 'koffie');
    if (!v.ok) throw new Error('no voucher');
    const req = JSON.stringify({ v: 1, id: 'R-1', type: 'redeem', voucher: v.value.display.toLowerCase() });
    const first = JSON.parse(tt.till.handleText(req, { lane: 'lane-1' }));
    expect(first).toMatchObject({ type: 'redeem.ok', ok: true, reward: { id: 'koffie', name: 'Gratis koffie', valueCents: 250 }, member: { number: 'M-1' } });
    expect(JSON.parse(tt.till.handleText(req, { lane: 'lane-1' }))).toEqual({ ...first, replayed: true }); // resend: the same answer, marked
    expect(tt.send({ type: 'redeem', voucher: v.value.code }, 'lane-2')).toMatchObject({ ok: false, reason: 'already-redeemed' });
    expect(tt.count('outbox', "type = 'trouw.voucher.redeemed.v1'")).toBe(1);
    // A typo is caught by the check character before any lookup.
    const typo = v.value.code.slice(0, 3) + (v.value.code[3] === 'A' ? 'B' : 'A') + v.value.code.slice(4);
    expect(tt.send({ type: 'redeem', voucher: typo })).toMatchObject({ ok: false, reason: 'bad-check' });
    // Used vouchers cannot be cancelled.
    expect(rewards.cancelVoucher(v.value.code)).toMatchObject({ ok: false, error: { code: 'already-redeemed' } });
  });

  it('two lanes at the same moment (one group commit): exactly one accepted', async () => {
    const { tt, rewards } = setup();
    const v = rewards.redeemReward('M-1', 'koffie');
    if (!v.ok) throw new Error('no voucher');
    const answers = await Promise.all(
      ['lane-1', 'lane-2', 'lane-3'].map((lane) => tt.till.handle(JSON.stringify({ v: 1, id: `X-${lane}`, type: 'redeem', voucher: v.value.code }), { lane })),
    );
    expect(answers.map((a) => (JSON.parse(a) as { ok: boolean }).ok).filter(Boolean)).toHaveLength(1);
  });

  it('two lanes on two database connections at once: exactly one accepted', async () => {
    const { tt, rewards, prog } = setup();
    const v = rewards.redeemReward('M-1', 'koffie');
    if (!v.ok) throw new Error('no voucher');
    const db2 = openDatabase(tt.path, { busyTimeoutMs: 5000 });
    try {
      const till2 = createTillService({ db: db2, rules: defaultRules(), store: STORE, clock: tt.clock, program: prog, maxBatch: 1 });
      const req = (id: string) => JSON.stringify({ v: 1, id, type: 'redeem', voucher: v.value.code });
      const answers = await Promise.all([tt.till.handle(req('A-1'), { lane: 'lane-1' }), till2.handle(req('B-1'), { lane: 'lane-2' })]);
      const parsed = answers.map((a) => JSON.parse(a) as { ok: boolean; reason?: string });
      expect(parsed.filter((p) => p.ok)).toHaveLength(1);
      expect(parsed.filter((p) => !p.ok)[0]).toMatchObject({ reason: 'already-redeemed' });
    } finally {
      db2.close();
    }
  });

  it('cancelling an unused voucher refunds its points once, with the same expiry dates', () => {
    const { tt, rewards } = setup();
    const v = rewards.redeemReward('M-1', 'koffie');
    if (!v.ok) throw new Error('no voucher');
    expect(rewards.cancelVoucher(v.value.display)).toMatchObject({ ok: true, value: { refunded: 50, balance: 200 } });
    expect(rewards.cancelVoucher(v.value.display)).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(tt.member('M-1').balance).toBe(200);
    expect(tt.count('outbox', "type = 'trouw.voucher.cancelled.v1'")).toBe(1);
    expect(tt.count('point_lots', "expires_on = '2025-06-15' AND remaining > 0")).toBe(2);
    expect(tt.send({ type: 'redeem', voucher: v.value.code })).toMatchObject({ ok: false, reason: 'cancelled' });
    expect(rewards.catalogue()[0]).toMatchObject({ available: true, stockLeft: 2 });
    // Every ledger change is carried by an outbox event written with it.
    const outbox = (tt.db.prepare('SELECT data FROM outbox').all() as { data: string }[]).map((r) => r.data).join('\n');
    for (const e of tt.db.prepare('SELECT id FROM ledger_entries').all() as { id: string }[]) expect(outbox).toContain(e.id);
    expect(auditLedger(tt.db)).toMatchObject({ balancesMatchEntries: true, lotsMatchBalances: true, deficitsMatchEntries: true });
  });

  it('vouchers expire: refused at the till and not cancellable', () => {
    const { tt, rewards } = setup();
    const v = rewards.redeemReward('M-1', 'koffie');
    if (!v.ok) throw new Error('no voucher');
    tt.clock.set(Date.UTC(2024, 5, 22, 10)); // valid through 2024-06-21
    expect(tt.send({ type: 'redeem', voucher: v.value.code })).toMatchObject({ ok: false, reason: 'expired' });
    expect(rewards.cancelVoucher(v.value.code)).toMatchObject({ ok: false, error: { code: 'expired' } });
    expect(rewards.vouchersOf('M-1')[0]).toMatchObject({ state: 'expired' });
  });
});
