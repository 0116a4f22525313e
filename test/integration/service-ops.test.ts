/**
 * Issue 16, the gateway as a service: upgrades from the previous release's database (a
 * fixture made by that release's code: test/fixtures/db/make-release-db.ts), a database
 * from a newer gateway refused with one line, doctor naming the schema version, and
 * `backup` taken by a separate process while a till rings sales, restored (refused while
 * the gateway runs) into a database that passes the ledger audit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../gateway/app/gateway';
import { validateConfig } from '../../gateway/config/load';
import { auditLedger } from '../../gateway/adapters/sqlite/audit';
import { LATEST_VERSION } from '../../gateway/adapters/sqlite/migrations/index';
import { pidFileOf } from '../../gateway/adapters/sqlite/gateway-lock';
import { SimTill } from '../../firmware-sim/till/sim-till';
import { startSocat, type PtyPair } from '../support/socat';
import { silentLogger } from '../support/browser';

const BIN = resolve(import.meta.dirname, '../../bin/trouw-gateway.mjs');
const FIXTURE = resolve(import.meta.dirname, '../fixtures/db/schema-6.db');
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
/** The same, without blocking this process (the gateway under test runs in it). */
const cliAsync = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((res) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (status) => res({ status, stdout, stderr }));
  });

const auditHolds = (file: string) => {
  const db = new Database(file, { readonly: true });
  try {
    const a = auditLedger(db);
    return {
      ok:
        a.integrity === 'ok' && a.foreignKeyViolations === 0 && a.balancesMatchEntries && a.lotsMatchBalances && a.salesMatchEntries && a.deficitsMatchEntries,
      audit: a,
    };
  } finally {
    db.close();
  }
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'trouw-ops-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('upgrades', () => {
  it("the previous release's database: doctor says its version, start migrates it, the ledger holds and sells on", async () => {
    const file = join(dir, 'upgrade.db');
    copyFileSync(FIXTURE, file);
    const before = new Database(file, { readonly: true });
    const version = before.pragma('user_version', { simple: true }) as number;
    // The old release's history, row for row (balances move on: the daily job may expire old points).
    const history = (d: Database.Database) => ({
      sales: d.prepare('SELECT id, receipt, member_id, points, total_cents, response FROM sales ORDER BY id').all(),
      entries: d.prepare('SELECT member_id, id, key, kind, points FROM ledger_entries ORDER BY member_id, id').all(),
      returns: d.prepare('SELECT id, kind, receipt, points_reversed FROM returns ORDER BY id').all(),
    });
    const old = history(before);
    before.close();
    expect(version).toBeLessThan(LATEST_VERSION);

    const doctor = cli(['doctor'], { TROUW_DATABASE__PATH: file, TROUW_HTTP__PORT: '0' });
    expect(doctor.stdout).toContain(`schema version ${version} (older: start migrates it to ${LATEST_VERSION})`);

    const gw = await startGateway(validateConfig({ database: { path: file }, loyalty: { minimumSpendCents: 0 } }), {
      logger: silentLogger,
      listen: false,
      printPairing: () => undefined,
    });
    const sale = JSON.parse(
      gw.till.handleText(
        JSON.stringify({
          v: 1,
          id: 'after-upgrade',
          type: 'sale',
          receipt: 'R-UP-1',
          member: 'M-2001',
          lines: [{ sku: '8711000530085', category: 'coffee', qty: 1, amountCents: 1299 }],
          tenders: [{ kind: 'card', amountCents: 1299 }],
        }),
        { lane: 'lane-1' },
      ),
    ) as { type: string };
    expect(sale.type).toBe('sale.ok');
    // A resend of a sale the old release recorded is still answered from its stored answer.
    const resent = JSON.parse(
      gw.till.handleText(
        JSON.stringify({
          v: 1,
          id: 's1',
          type: 'sale',
          receipt: 'R-1',
          member: 'M-2002',
          lines: [{ sku: '8711000530085', category: 'coffee', qty: 1, amountCents: 799 }],
          tenders: [{ kind: 'card', amountCents: 799 }],
        }),
        { lane: 'lane-1' },
      ),
    ) as { type: string };
    expect(resent.type).toBe('sale.ok');
    await gw.stop();

    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect((after.prepare('SELECT count(*) AS n FROM sales').get() as { n: number }).n).toBe(13);
    const now = history(after);
    after.close();
    expect(now.sales.slice(0, old.sales.length)).toEqual(old.sales);
    expect(now.returns).toEqual(old.returns);
    for (const e of old.entries) expect(now.entries).toContainEqual(e);
    expect(auditHolds(file).ok).toBe(true);
    expect(cli(['doctor'], { TROUW_DATABASE__PATH: file, TROUW_HTTP__PORT: '0' }).stdout).toContain(`schema version ${LATEST_VERSION} (current)`);
  });

  it('a database from a newer gateway: start refuses with one line and leaves it untouched; doctor says so', () => {
    const file = join(dir, 'newer.db');
    copyFileSync(FIXTURE, file);
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    const bytes = statSync(file).size;
    const r = cli(['start'], { TROUW_DATABASE__PATH: file, TROUW_HTTP__PORT: '0' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `trouw-gateway: database schema version ${LATEST_VERSION + 1} is newer than this gateway supports (${LATEST_VERSION}); upgrade the gateway`,
    ]);
    expect(statSync(file).size).toBe(bytes);
    expect(existsSync(pidFileOf(file))).toBe(false);
    const doctor = cli(['doctor'], { TROUW_DATABASE__PATH: file, TROUW_HTTP__PORT: '0' });
    expect(doctor.stdout).toContain(`schema version ${LATEST_VERSION + 1}, newer than this gateway (${LATEST_VERSION})`);
  });
});

describe('backup and restore', () => {
  let pair: PtyPair;
  beforeAll(async () => {
    pair = await startSocat();
  });
  afterAll(async () => {
    await pair?.close();
  });

  it('backup while a till rings sales: consistent, audited; restore refused while the gateway runs, then restores', async () => {
    const file = join(dir, 'live.db');
    const env = { TROUW_DATABASE__PATH: file, TROUW_HTTP__PORT: '0' };
    const members = Array.from({ length: 50 }, (_, i) => ({ number: `M-${3000 + i}`, name: `Lid ${i}` }));
    const gw = await startGateway(
      validateConfig({
        database: { path: file },
        http: { port: 0 },
        loyalty: { minimumSpendCents: 0 },
        members,
        lanes: [{ id: 'lane-1', transport: 'serial', path: pair.a }],
        till: { reconnectMinMs: 50, reconnectMaxMs: 300 },
      }),
      { logger: silentLogger, listen: false, printPairing: () => undefined },
    );
    const till = new SimTill({
      transport: { kind: 'serial', path: pair.b },
      journal: join(dir, 'till.jsonl'),
      lane: 'lane-1',
      seed: 9,
      members: members.map((m) => m.number),
      memberRate: 0.8,
    });
    await till.open();
    const sales = () => (gw.db.prepare('SELECT count(*) AS n FROM sales').get() as { n: number }).n;
    let ringing = true;
    const ring = (async () => {
      while (ringing) {
        const r = await till.sale();
        if (!r.ok) throw new Error(`the till failed open: ${r.error.code}`);
      }
    })();
    try {
      while (sales() < 30) await new Promise((r) => setTimeout(r, 20));
      const atStart = sales();
      const out = join(dir, 'backup.db');
      const backup = await cliAsync(['backup', '--out', out], env);
      const atEnd = sales();
      expect(backup.stderr).toBe('');
      expect(backup.status).toBe(0);
      expect(backup.stdout).toMatch(new RegExp(`^backup ${out}: \\d+ bytes, schema version ${LATEST_VERSION}, \\d+ sales, 50 members, audit ok, \\d+ ms\\n$`));
      const inBackup = Number(/, (\d+) sales,/.exec(backup.stdout)![1]);
      // Taken while sales went on: some landed before the copy, more after it.
      expect(inBackup).toBeGreaterThan(atStart);
      expect(atEnd).toBeGreaterThan(inBackup);
      expect(statSync(out).mode & 0o777).toBe(0o600);
      expect(auditHolds(out).ok).toBe(true);
      // Never overwrites.
      expect((await cliAsync(['backup', '--out', out], env)).status).toBe(1);

      const refused = await cliAsync(['restore', out], env);
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim()).toBe(
        `trouw-gateway: a gateway (pid ${process.pid}) is running on ${file}: stop it first (systemctl stop trouw-gateway), then restore`,
      );

      ringing = false;
      await ring;
      await till.close();
      await gw.stop();
      const restored = await cliAsync(['restore', out], env);
      expect(restored.stderr).toBe('');
      expect(restored.status).toBe(0);
      expect(restored.stdout).toContain(`restored ${file} from ${out}`);
      const check = auditHolds(file);
      expect(check.ok).toBe(true);
      expect(check.audit.salesCount).toBe(inBackup);
      // The database it replaced is kept beside it, WAL and all.
      expect(readdirSync(dir).some((f) => f.startsWith('live.db.before-restore-'))).toBe(true);
      expect(existsSync(`${file}-wal`)).toBe(false);
    } finally {
      ringing = false;
      await ring.catch(() => undefined);
      await till.close().catch(() => undefined);
      await gw.stop();
    }
  }, 90_000);
});
