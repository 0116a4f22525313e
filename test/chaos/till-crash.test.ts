/**
 * Crash durability (issue 2): while the simulated till rings 1,000 sales over a real pty pair,
 * the gateway process is killed with SIGKILL at random moments (at least 20 times) and
 * restarted. Afterwards every sale in the till's journal is in the ledger exactly once, no
 * other sale is, balances equal the sum of entries, and PRAGMA integrity_check is ok.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { startSocat, type PtyPair } from '../support/socat';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { freePort } from '../../firmware-sim/demo/free-port';
import { SimTill } from '../../firmware-sim/till/sim-till';
import { journalSales } from '../../firmware-sim/till/journal';
import { createRng } from '../../firmware-sim/till/prng';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';

const SALES = 1000;
const MIN_KILLS = 20;
const members = Array.from({ length: 50 }, (_, i) => ({ number: `M-${1000 + i}`, name: `Member ${i}` }));

describe('gateway killed with SIGKILL while the till rings sales', () => {
  let pty: PtyPair;
  let dir: string;
  let env: Record<string, string>;
  let httpPort: number;
  let gateway: GatewayProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trouw-crash-'));
    pty = await startSocat();
    httpPort = await freePort();
    env = {
      TROUW_DATABASE__PATH: join(dir, 'gateway.db'),
      TROUW_LANES: JSON.stringify([{ id: 'lane-1', transport: 'serial', path: pty.a, baudRate: 115200 }]),
      TROUW_MEMBERS: JSON.stringify(members),
      TROUW_TILL__RECONNECT_MIN_MS: '50',
      TROUW_TILL__RECONNECT_MAX_MS: '500',
      TROUW_LOG__LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    await gateway?.kill('SIGKILL');
    await pty?.close();
  });

  const startOne = async () => {
    gateway = spawnGateway({ env, httpPort, logFile: join(dir, 'gateway.log') });
    await gateway.ready();
  };

  it('keeps every journalled sale exactly once', async () => {
    await startOne();
    const journal = join(dir, 'till.jsonl');
    const till = new SimTill({
      transport: { kind: 'serial', path: pty.b },
      journal,
      lane: 'lane-1',
      members: members.map((m) => m.number),
      memberRate: 0.8,
      seed: 42,
    });

    // The killer strikes at random moments for as long as the till rings; the till rings at
    // least SALES sales and goes on until the killer has struck MIN_KILLS times.
    let ringing = true;
    let kills = 0;
    const rng = createRng(7);
    const killer = (async () => {
      while (ringing) {
        await new Promise((r) => setTimeout(r, rng.int(150, 1200)));
        if (!ringing) break;
        await gateway!.kill('SIGKILL');
        kills++;
        await startOne();
      }
    })();
    let rung = 0;
    while (rung < SALES || kills < MIN_KILLS) {
      await till.sale();
      rung++;
    }
    ringing = false;
    await killer;
    expect(kills).toBeGreaterThanOrEqual(MIN_KILLS);

    // Resend everything that failed open until the gateway has answered it all.
    for (let i = 0; i < 20 && till.pending().length; i++) await till.flushPending();
    expect(till.pending()).toEqual([]);
    await till.close();
    await gateway!.kill('SIGTERM');

    const sales = journalSales(journal);
    expect(sales.length).toBeGreaterThanOrEqual(SALES);
    const db = new Database(env.TROUW_DATABASE__PATH!);
    try {
      const rows = db.prepare('SELECT receipt, count(*) AS n FROM sales GROUP BY receipt').all() as { receipt: string; n: number }[];
      const inLedger = new Map(rows.map((r) => [r.receipt, r.n]));
      const journalled = new Set(sales.map((s) => s.body.receipt));
      for (const receipt of journalled) expect(inLedger.get(receipt), `sale ${receipt}`).toBe(1);
      for (const receipt of inLedger.keys()) expect(journalled.has(receipt), `unexpected sale ${receipt}`).toBe(true);
      // The points the till was told equal the points in the ledger, sale by sale.
      const points = new Map(
        (db.prepare('SELECT receipt, points FROM sales').all() as { receipt: string; points: number }[]).map((r) => [r.receipt, r.points]),
      );
      for (const s of sales) {
        if (s.response?.type === 'sale.ok') expect(points.get(s.body.receipt)).toBe(s.response.pointsAwarded);
      }
      const audit = auditLedger(db);
      expect(audit.integrity).toBe('ok');
      expect(audit.balancesMatchEntries).toBe(true);
      expect(audit.lotsMatchBalances).toBe(true);
      expect(audit.salesMatchEntries).toBe(true);
      console.log(`crash test: ${sales.length} sales, ${kills} SIGKILLs, ${sales.filter((s) => s.attempts > 1).length} resent`);
    } finally {
      db.close();
    }
  });
});
