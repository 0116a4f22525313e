/**
 * The gateway as store IT runs it (issue 2): the CLI's exit codes and one-line errors, doctor,
 * a lane whose port is missing at start (down in /healthz, then up when the port appears,
 * without a restart), and a graceful SIGTERM.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { startSocat, type PtyPair } from '../support/socat';
import { spawnGateway, type GatewayProcess } from '../support/gateway-process';
import { freePort } from '../../firmware-sim/demo/free-port';
import { SimTill } from '../../firmware-sim/till/sim-till';

const BIN = resolve(import.meta.dirname, '../../bin/trouw-gateway.mjs');
const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('trouw-gateway CLI', () => {
  let gateway: GatewayProcess | undefined;
  let pty: PtyPair | undefined;
  afterEach(async () => {
    await gateway?.kill('SIGKILL');
    await pty?.close();
    gateway = pty = undefined;
  });

  it('check-config: ok on defaults, one clear line and exit 2 on a bad value', () => {
    const good = cli(['check-config'], { TROUW_DATABASE__PATH: ':memory:' });
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('config ok');

    const dir = mkdtempSync(join(tmpdir(), 'trouw-cli-'));
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'lanes:\n  - id: lane-1\n    transport: serial\n    path: /dev/ttyUSB0\n    baudRate: 12345\n');
    const bad = cli(['check-config', '--config', file]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('config: lanes.0.baudRate = 12345: expected one of 9600, 19200, 38400, 57600, 115200');
    expect(cli(['start', '--config', file]).status).toBe(2);
    expect(cli(['frobnicate']).status).toBe(2);
  });

  it('a start that fails part-way (HTTP port in use) unwinds what it started and exits non-zero with one line', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    try {
      const dir = mkdtempSync(join(tmpdir(), 'trouw-cli-'));
      // A lane whose port is missing keeps a reconnect timer: before the unwinding, the process
      // stayed up with its lanes, scanner workers, daily timers and database open.
      const r = cli(['start'], {
        TROUW_DATABASE__PATH: join(dir, 'g.db'),
        TROUW_LANES: JSON.stringify([{ id: 'lane-1', transport: 'serial', path: join(dir, 'ttyTILL') }]),
        TROUW_HTTP__HOST: '127.0.0.1',
        TROUW_HTTP__PORT: String(port),
        TROUW_LOG__LEVEL: 'silent',
      });
      expect(r.error).toBeUndefined(); // not killed by the spawn timeout: it exited by itself
      expect(r.status).toBe(69);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toEqual([
        `trouw-gateway: gateway failed to start: 127.0.0.1:${port} is in use (another process listens there; set http.port or metrics.listen) [TROUW_START_FAILED]`,
      ]);
      // The database claim was released: a second start finds no "gateway running" pid file.
      expect(existsSync(join(dir, 'g.db.pid'))).toBe(false);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('doctor names a missing till port and how to fix it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trouw-cli-'));
    const r = cli(['doctor'], {
      TROUW_DATABASE__PATH: join(dir, 'g.db'),
      TROUW_LANES: JSON.stringify([{ id: 'lane-1', transport: 'serial', path: join(dir, 'ttyTILL') }]),
      TROUW_HTTP__PORT: '0',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/✖ lane lane-1: .*ttyTILL does not exist/);
    expect(r.stdout).toMatch(/fix: plug in the till cable/);
    expect(r.stdout).toMatch(/database .*not created yet/);
  });

  it('starts with the till port missing, shows the lane down, comes up when it appears, stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trouw-cli-'));
    const a = join(dir, 'A');
    const b = join(dir, 'B');
    const httpPort = await freePort();
    gateway = spawnGateway({
      httpPort,
      logFile: join(dir, 'gateway.log'),
      env: {
        TROUW_DATABASE__PATH: join(dir, 'g.db'),
        TROUW_LANES: JSON.stringify([{ id: 'lane-1', transport: 'serial', path: a }]),
        TROUW_TILL__RECONNECT_MIN_MS: '100',
        TROUW_TILL__RECONNECT_MAX_MS: '300',
        TROUW_MEMBERS: JSON.stringify([{ number: 'M-1', name: 'Emma Bakker' }]),
      },
    });
    await gateway.ready();
    const health = async () =>
      (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).json() as Promise<{ status: string; lanes: { state: string; lastError?: string }[] }>;
    // A lane is needed by default (health.needed): store IT's monitor reads the 503.
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(503);
    const down = await health();
    expect(down.status).toBe('down');
    expect(down.lanes[0]).toMatchObject({ state: 'down' });
    expect(down.lanes[0]!.lastError).toBeTruthy();

    pty = await startSocat({ a, b });
    await until('lane up', async () => ((await health()).lanes[0]?.state === 'up' ? true : undefined));
    const till = new SimTill({ transport: { kind: 'serial', path: b }, journal: join(dir, 'till.jsonl') });
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
    const sale = await till.sale({ member: 'M-1' });
    expect(sale.ok && sale.value.type).toBe('sale.ok');
    await till.close();

    expect(await gateway.kill('SIGTERM')).toBe(0);
    // The last connection closed cleanly: SQLite checkpointed and removed the WAL.
    expect(existsSync(join(dir, 'g.db-wal'))).toBe(false);
    gateway = undefined;
  });
});
