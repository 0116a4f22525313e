/**
 * An HCI controller emulator as its own process, streaming adverts from simulated phones as
 * fast as the line takes them or at a fixed rate; for bench:presence-throughput (a separate
 * process, so the gateway's CPU is measured without the emulator's).
 *
 *   tsx firmware-sim/hci/load-cli.ts --port /tmp/ctl --members 300 --strangers 100
 * Then, on stdin, one command per line: `rate N` (adverts/s; 0 stops; `max` as fast as
 * possible). Every second it prints `{"sent":…,"overflow":…,"scanning":…}` on stdout.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { iBeaconAdData, manufacturerAdData } from './h4';
import { openSerialController } from './serial-controller';
import { epochOf, memberToken } from '../../gateway/core/presence/token';
import { randomAddress } from '../store/devices';
import { Rng } from '../store/prng';
import { BENCH_PROGRAM_UUID, benchMemberKey } from './bench-members';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      members: { type: 'string', default: '300' },
      strangers: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
    },
  });
  if (!values.port) throw new Error('--port is required');
  const { controller } = await openSerialController(values.port);
  const rng = Rng.seeded(Number(values.seed));
  const members = Number(values.members);
  const strangers = Number(values.strangers);
  const devices = Array.from({ length: members + strangers }, (_, i) => ({
    address: randomAddress(rng),
    member: i < members ? i : -1,
    foreign: rng.bytes(20),
  }));
  let epoch = -1;
  const data: Uint8Array[] = [];
  const refresh = () => {
    const e = epochOf(Date.now());
    if (e === epoch) return;
    epoch = e;
    devices.forEach((d, i) => {
      if (d.member >= 0) {
        const token = memberToken(benchMemberKey(d.member), e);
        data[i] = iBeaconAdData(BENCH_PROGRAM_UUID, token >>> 16, token & 0xffff, -59);
      } else data[i] = i % 2 ? manufacturerAdData(d.foreign) : iBeaconAdData(BENCH_PROGRAM_UUID, 0x0bad, i, -59);
    });
  };
  refresh();
  let k = 0;
  const one = () => {
    const i = k++ % devices.length;
    return controller.report({ eventType: 3, addressType: 1, address: devices[i]!.address, data: data[i]!, rssi: -50 - ((k * 7) % 40) });
  };

  let rate = 0;
  let timer: NodeJS.Timeout | null = null;
  let startedAt = 0;
  let due = 0;
  const stopTimer = () => {
    if (timer) clearInterval(timer);
    timer = null;
  };
  const setRate = (r: number | 'max') => {
    stopTimer();
    rate = r === 'max' ? Infinity : r;
    startedAt = performance.now();
    due = 0;
    if (rate === 0) return;
    timer = setInterval(() => {
      refresh();
      if (rate === Infinity) {
        // Keep the controller's queue topped up; the line drains it as fast as it can.
        while (controller.queued < 2000 && controller.scanning) one();
        return;
      }
      const target = Math.floor(((performance.now() - startedAt) / 1000) * rate);
      while (due < target) {
        one();
        due++;
      }
    }, 5);
  };
  createInterface({ input: process.stdin }).on('line', (l) => {
    const [cmd, arg] = l.trim().split(/\s+/);
    if (cmd === 'rate') setRate(arg === 'max' ? 'max' : Number(arg));
    if (cmd === 'quit') process.exit(0);
  });
  setInterval(() => {
    const c = controller.counters;
    process.stdout.write(`${JSON.stringify({ sent: c.reportsSent, overflow: c.reportsOverflow, scanning: controller.scanning, rate })}\n`);
  }, 1000);
  process.stdin.on('end', () => process.exit(0));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
