/**
 * The BleScanners contract (gateway/ports/ble-scanner.ts), written once and run against every
 * implementation (STYLE.md §2): the in-process scanners (unit) and the noble adapter over
 * firmware-sim's HCI controller emulator on a socat pty (integration). The harness is the
 * radio: `hear` puts adverts on the air of one configured scanner.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Advert, BleScanners } from '../../gateway/ports/ble-scanner';
import { waitFor as pollUntil } from './wait-for';

export interface HeardAdvert {
  rssi: number;
  /** Company id first (AD type 0xFF payload). */
  manufacturerData: Uint8Array;
}

export interface BleScannersHarness {
  scanners: BleScanners;
  /** The one configured scanner's name. */
  scanner: string;
  /** Adverts on the air of `scanner`, in this order; resolves when the radio has sent them. */
  hear(adverts: readonly HeardAdvert[]): Promise<void>;
  /** The controller goes away (cable pulled). */
  unplug(): Promise<void>;
  /** A controller is back on the same port. */
  plugIn(): Promise<void>;
  teardown(): Promise<void>;
}

const waitFor = (cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> => pollUntil(cond, what, timeoutMs, 20);

const md = (i: number) => Uint8Array.from([0x4c, 0x00, 0x02, 0x15, 0xc0, 0xff, 0xee, i]);
const adverts = (from: number, n: number): HeardAdvert[] =>
  Array.from({ length: n }, (_, k) => ({ rssi: -40 - ((from + k) % 50), manufacturerData: md(from + k) }));

export function bleScannersContract(name: string, setup: () => Promise<BleScannersHarness>): void {
  describe(`BleScanners contract: ${name}`, () => {
    let h: BleScannersHarness | undefined;
    afterEach(async () => {
      await h?.teardown();
      h = undefined;
    });

    async function started(listener: (batch: readonly Advert[]) => void) {
      h = await setup();
      let inStart = true;
      let deliveredInStart = false;
      h.scanners.start((batch) => {
        if (inStart) deliveredInStart = true;
        listener(batch);
      });
      inStart = false;
      expect(deliveredInStart).toBe(false);
      const x = h;
      await waitFor(() => x.scanners.health()[0]?.state === 'up', 'scanner up');
      return x;
    }

    it('one health entry per scanner (kind ble-scanner, zone in detail); up after start, stopped after stop', async () => {
      const x = await started(() => {});
      expect(x.scanners.health()).toHaveLength(1);
      expect(x.scanners.health()[0]).toMatchObject({ name: x.scanner, kind: 'ble-scanner', state: 'up' });
      expect(x.scanners.health()[0]!.detail).toContain('zone');
      await x.scanners.stop();
      expect(x.scanners.health()[0]!.state).toBe('stopped');
    });

    it('delivers adverts in order as plain objects: scanner, rssi as heard, manufacturer data, reception time; nothing else (no address)', async () => {
      const got: Advert[] = [];
      const x = await started((b) => got.push(...b));
      const sent = adverts(0, 20);
      const before = Date.now();
      await x.hear(sent);
      await waitFor(() => got.length >= sent.length, 'all adverts');
      const after = Date.now();
      expect(got).toHaveLength(sent.length);
      got.forEach((a, i) => {
        expect(Object.keys(a).sort()).toEqual(['at', 'manufacturerData', 'rssi', 'scanner']);
        expect(a.scanner).toBe(x.scanner);
        expect(a.rssi).toBe(sent[i]!.rssi);
        expect([...a.manufacturerData]).toEqual([...sent[i]!.manufacturerData]);
        expect(a.at).toBeGreaterThanOrEqual(before - 1);
        expect(a.at).toBeLessThanOrEqual(after + 1);
      });
    });

    it('a listener that throws does not stop the scanners', async () => {
      const got: Advert[] = [];
      let threw = false;
      const x = await started((b) => {
        if (!threw) {
          threw = true;
          throw new Error('listener bug');
        }
        got.push(...b);
      });
      await x.hear(adverts(0, 1));
      await waitFor(() => threw, 'the first batch');
      await x.hear(adverts(1, 3));
      await waitFor(() => got.length >= 3, 'later adverts');
      expect(got.map((a) => a.rssi)).toEqual(adverts(1, 3).map((a) => a.rssi));
      expect(x.scanners.health()[0]!.state).toBe('up');
    });

    it('a controller that goes away is down with the reason and comes back by itself, hearing again', async () => {
      const got: Advert[] = [];
      const x = await started((b) => got.push(...b));
      await x.unplug();
      await waitFor(() => x.scanners.health()[0]!.state === 'down', 'scanner down');
      expect(x.scanners.health()[0]!.detail).toMatch(/zone A.*\S/);
      await x.plugIn();
      await waitFor(() => x.scanners.health()[0]!.state === 'up', 'scanner up again', 60_000);
      await x.hear(adverts(0, 3));
      await waitFor(() => got.length >= 3, 'adverts through the new controller');
      expect(got.map((a) => a.rssi)).toEqual(adverts(0, 3).map((a) => a.rssi));
    });

    it('stop() resolves, is idempotent, and no advert is delivered after it', async () => {
      let after = 0;
      let stopped = false;
      const x = await started(() => {
        if (stopped) after++;
      });
      await Promise.all([x.scanners.stop(), x.scanners.stop()]);
      stopped = true;
      await x.hear(adverts(0, 5)).catch(() => {}); // the radio may refuse: nobody scans
      await new Promise((r) => setTimeout(r, 200));
      expect(after).toBe(0);
      await x.scanners.stop();
    });
  });
}
