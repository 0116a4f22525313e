/**
 * The simulated store on real serial lines: one socat pty pair and one HCI controller
 * emulator per scanner, shoppers walking in real time. Prints the gateway config to use
 * (`presence.scanners` on the other pty ends, and HQ's token table, refreshed in the file
 * every epoch) and, every 10 s, where people truly are.
 *
 *   tsx firmware-sim/store/cli.ts [--shoppers 40] [--minutes 30] [--seed 1] [--dir /tmp/trouw-store]
 *   TROUW_CONFIG=/tmp/trouw-store/gateway.json npm run gateway -- start
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSerialController, type SerialController } from '../hci/serial-controller';
import { gridPlan } from './floor-plan';
import { emulatorSink, startLiveStore } from './live';
import { writeCalibrationWalk } from './calibration';
import { StoreSim } from './store-sim';

const { values } = parseArgs({
  options: {
    shoppers: { type: 'string', default: '40' },
    minutes: { type: 'string', default: '30' },
    seed: { type: 'string', default: '1' },
    dir: { type: 'string', default: '/tmp/trouw-store' },
  },
});
const dir = values.dir!;
mkdirSync(dir, { recursive: true });
const plan = gridPlan();
const controllers: SerialController[] = [];
const socats: Array<ReturnType<typeof spawn>> = [];
for (const s of plan.scanners) {
  const a = join(dir, `${s.name}.gw`);
  const b = join(dir, `${s.name}.ctl`);
  for (const p of [a, b]) if (existsSync(p)) unlinkSync(p);
  const child = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  socats.push(child);
  for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 20));
  controllers.push(await openSerialController(b, { address: `00:1A:7D:DA:71:${(controllers.length + 1).toString(16).padStart(2, '0')}` }));
}
const configPath = join(dir, 'gateway.json');
// The radio depends on the plan and the seed only: this is the store the shoppers will walk.
const calibration = writeCalibrationWalk(new StoreSim({ plan, seed: Number(values.seed), shoppers: 0 }), dir);
console.log(`calibration walk: ${calibration.csvPath}\n${calibration.summary}\n  map: ${calibration.mapPath}`);
let tags: Array<{ id: string; major: number; minor: number }> = [];
let tokens: Array<{ member: string; epoch: number; token: number }> = [];
const write = () =>
  writeFileSync(
    configPath,
    JSON.stringify(
      {
        presence: {
          scanners: plan.scanners.map((s) => ({ name: s.name, zone: s.zone, port: join(dir, `${s.name}.gw`) })),
          tags,
          tokens: tokens.map((t) => ({ member: t.member, epoch: t.epoch, token: t.token.toString(16).padStart(8, '0') })),
          radioMap: { file: 'radio-map.json' },
        },
      },
      null,
      2,
    ),
  );
const live = startLiveStore({
  plan,
  seed: Number(values.seed),
  shoppers: Number(values.shoppers),
  durationMs: Number(values.minutes) * 60_000,
  sink: emulatorSink(controllers.map((c) => c.controller)),
  hq: (table) => {
    tokens = table;
    write();
  },
});
tags = live.sim.tags();
write();
console.log(`store: ${plan.zones.length} zones, ${plan.scanners.length} scanners (emulators on ${dir}/*.ctl); gateway config: ${configPath}`);
console.log('the token table in it is valid for epochs e-1…e+1: restart the gateway (or push the table) after ~15 min');
const timer = setInterval(() => {
  const byZone = new Map<string, number>();
  for (const p of live.truth()) byZone.set(p.zone!, (byZone.get(p.zone!) ?? 0) + 1);
  console.log(
    `truth: ${plan.zones.map((z) => `${z.id} ${byZone.get(z.id) ?? 0}`).join(', ')}; reports sent ${controllers.reduce((n, c) => n + c.controller.counters.reportsSent, 0)}`,
  );
}, 10_000);
const stop = async () => {
  clearInterval(timer);
  live.stop();
  for (const c of controllers) await c.close();
  for (const s of socats) s.kill();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
