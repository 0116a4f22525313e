/**
 * The BleScanners contract against the real stack: the noble adapter (one worker per
 * controller, noble's H4 UART transport) talking to firmware-sim's HCI controller emulator
 * over a socat pty pair. Adverts come from random addresses, as phones send them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { beforeAll } from 'vitest';
import { createNobleScanners } from '../../gateway/adapters/ble/noble-scanners';
import { systemClock } from '../../gateway/ports/clock';
import { manufacturerAdData } from '../../firmware-sim/hci/h4';
import { openSerialController } from '../../firmware-sim/hci/serial-controller';
import { randomAddress } from '../../firmware-sim/store/devices';
import { Rng } from '../../firmware-sim/store/prng';
import { bleScannersContract } from '../support/ble-scanners-contract';
import { requireSocat, startSocat } from '../support/socat';

beforeAll(() => requireSocat());

bleScannersContract('noble over the HCI emulator', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'trouw-ble-contract-'));
  let pair = await startSocat({ a: join(dir, 'gw'), b: join(dir, 'ctl') });
  let emu = await openSerialController(pair.b);
  const scanners = createNobleScanners({
    scanners: [{ name: 'entrance', zone: 'A', transport: { kind: 'uart', path: pair.a, baudRate: 1_000_000 } }],
    accept: [],
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    retryMinMs: 200,
    retryMaxMs: 1000,
    startTimeoutMs: 20_000,
  });
  const rng = Rng.seeded(12);
  return {
    scanners,
    scanner: 'entrance',
    hear: async (adverts) => {
      for (const a of adverts) {
        const report = { eventType: 3, addressType: 1, address: randomAddress(rng), data: manufacturerAdData(a.manufacturerData), rssi: a.rssi };
        if (!emu.controller.report(report)) throw new Error('the controller is not scanning');
      }
      await emu.controller.drained();
    },
    unplug: async () => {
      await emu.close();
      await pair.close(); // socat gone: both ends of the line vanish
    },
    plugIn: async () => {
      pair = await startSocat({ a: pair.a, b: pair.b });
      emu = await openSerialController(pair.b);
    },
    teardown: async () => {
      await scanners.stop();
      await emu.close();
      await pair.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
