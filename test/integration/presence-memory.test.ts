/**
 * Memory stays flat with rotating addresses (issue 4, DESIGN.md §3): 20,000 distinct random
 * addresses through a real pty, the HCI emulator, noble's HCI code in the scanner worker and
 * the presence engine. noble alone keeps every address it ever saw; the worker prunes.
 *
 * Bound stated and checked: after a GC, the worker's heap grows by less than 4 MB between
 * 2,000 and 22,000 distinct addresses, noble's per-device maps hold nothing between adverts,
 * and the engine keeps at most `maxAnonymous` anonymous devices. The control: the same run
 * with pruning off grows by several times the bound (noble keeps every address).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { createNobleScanners } from '../../gateway/adapters/ble/noble-scanners';
import { acceptPrefixes, presenceConfigFrom } from '../../gateway/app/presence/presence-config';
import { createPresenceService } from '../../gateway/app/presence/presence-service';
import { systemClock } from '../../gateway/ports/clock';
import { iBeaconAdData, manufacturerAdData } from '../../firmware-sim/hci/h4';
import { openSerialController } from '../../firmware-sim/hci/serial-controller';
import { randomAddress } from '../../firmware-sim/store/devices';
import { Rng } from '../../firmware-sim/store/prng';
import { requireSocat, startSocat } from '../support/socat';
import { waitFor as pollUntil } from '../support/wait-for';

const PROGRAM = '2f234454-cf6d-4a0f-adf2-f4911ba9ffa6';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => requireSocat());

const waitFor = (cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> => pollUntil(cond, what, timeoutMs, 50);

describe('presence memory with rotating addresses', () => {
  async function run(prune: boolean) {
    const dir = mkdtempSync(join(tmpdir(), 'trouw-presence-mem-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pair = await startSocat({ a: join(dir, 'gw'), b: join(dir, 'ctl') });
    cleanups.push(() => pair.close());
    const emu = await openSerialController(pair.b);
    cleanups.push(() => emu.close());
    const db = openDatabase(join(dir, 'gw.db'));
    cleanups.push(() => void db.close());
    const config = presenceConfigFrom({ scanners: [{ name: 'scan', zone: 'A', port: pair.a }], maxAnonymous: 2000 });
    const logger = pino({ level: 'warn' });
    const scanners = createNobleScanners({
      scanners: [{ name: 'scan', zone: 'A', transport: { kind: 'uart', path: pair.a, baudRate: 1_000_000 } }],
      accept: acceptPrefixes(config),
      clock: systemClock,
      logger,
      workerExecArgv: ['--expose-gc'],
      pruneNobleMaps: prune,
      // The control goes through noble's own advert path (the direct reader never lets noble keep a device).
      ...(!prune && { advertPath: 'noble' as const }),
    });
    const service = createPresenceService({ config, db, clock: systemClock, logger, timeZone: 'UTC', outboxTtlMs: 60_000, scanners });
    cleanups.push(() => service.stop());
    service.start();
    await waitFor(() => scanners.health()[0]!.state === 'up', 'scanner up');

    const rng = Rng.seeded(20_000);
    let sent = 0;
    /** `n` adverts, each from a new random address: half program-UUID phones with random tokens, half other vendors. */
    const burst = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const program = i % 2 === 0;
        const data = program ? iBeaconAdData(PROGRAM, rng.int(0, 0xffff), rng.int(0, 0xffff), -59) : manufacturerAdData(rng.bytes(20));
        while (!emu.controller.report({ eventType: program ? 3 : 0, addressType: 1, address: randomAddress(rng), data, rssi: -60 - rng.int(0, 30) })) {
          await new Promise((r) => setTimeout(r, 5));
        }
        sent++;
        if (emu.controller.queued > 500) await emu.controller.drained();
      }
      await emu.controller.drained();
      await waitFor(async () => ((await scanners.workerStats())[0]?.heard ?? 0) >= sent, 'the worker to hear them all');
    };

    await burst(2000);
    const before = (await scanners.workerStats(true))[0]!;
    await burst(20_000);
    const after = (await scanners.workerStats(true))[0]!;
    const growthMb = (after.heapUsed - before.heapUsed) / 2 ** 20;
    console.log(
      `${prune ? 'pruned' : 'unpruned'}: worker heap ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MB (${growthMb.toFixed(2)} MB for 20,000 addresses); rss ${(after.rss / 2 ** 20).toFixed(0)} MB`,
    );
    return { after, growthMb, service };
  }

  it('20,000 distinct addresses: noble maps stay empty, worker heap flat, engine bounded', { timeout: 240_000 }, async () => {
    const { after, growthMb, service } = await run(true);
    expect(after.heard).toBe(22_000);
    expect(after.passed).toBe(11_000); // other vendors never left the worker
    expect([after.peripherals, after.discoveries, after.bindingAddresses]).toEqual([0, 0, 0]);
    expect(growthMb).toBeLessThan(4);
    await waitFor(() => (service.stats().adverts.anonymous ?? 0) >= 11_000, 'the engine to count them');
    expect(service.stats().anonymous).toBeLessThanOrEqual(2000);
    expect(service.stats().tracked).toBe(0);
  });

  it('control: without pruning, noble keeps every address and the heap grows past the bound', { timeout: 240_000 }, async () => {
    const { after, growthMb } = await run(false);
    expect(after.peripherals).toBeGreaterThanOrEqual(22_000);
    expect(growthMb).toBeGreaterThan(4);
  });
});
