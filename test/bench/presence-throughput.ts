/**
 * bench:presence-throughput (issue 4): adverts per second through the whole path — the HCI
 * emulator (its own process) → a socat pty → noble's HCI code in the scanner worker → IPC →
 * the presence engine → SQLite and the outbox — and the gateway's CPU share (main process
 * plus the worker, in cores) at 2,600 adverts/s, about what one controller can report, and
 * its resident memory.
 *
 *   npm run bench:presence-throughput -- [--seconds 10] [--members 300] [--strangers 100]
 *
 * A pty moves bytes at memory speed, so the wire is not in the figure: a 46-byte report takes
 * 0.46 ms at 1 Mbaud (8N1), so a UART at 1,000,000 baud carries at most ~2,170 reports/s
 * (printed below); 2,600/s needs a faster UART or USB. Last line: one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createNobleScanners } from '../../gateway/adapters/ble/noble-scanners';
import { openDatabase } from '../../gateway/adapters/sqlite/open-database';
import { acceptPrefixes, presenceConfigFrom } from '../../gateway/app/presence/presence-config';
import { createPresenceService } from '../../gateway/app/presence/presence-service';
import { epochOf, memberToken } from '../../gateway/core/presence/token';
import { systemClock } from '../../gateway/ports/clock';
import { wireTimeMs } from '../../firmware-sim/hci/h4';
import { BENCH_PROGRAM_UUID, benchMember, benchMemberKey } from '../../firmware-sim/hci/bench-members';
import { startSocat } from '../support/socat';

const { values: a } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, members: { type: 'string', default: '300' }, strangers: { type: 'string', default: '100' } } });
const seconds = Number(a.seconds);
const members = Number(a.members);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // Linux clock ticks per second (/proc/<pid>/stat)

function procCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK; // utime + stime
}
function procRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
const mainCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const dir = mkdtempSync(join(tmpdir(), 'trouw-presence-bench-'));
const pair = await startSocat({ a: join(dir, 'gw'), b: join(dir, 'ctl') });
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const emu = spawn(process.execPath, ['--import', tsx, join(import.meta.dirname, '../../firmware-sim/hci/load-cli.ts'), '--port', pair.b, '--members', String(members), '--strangers', a.strangers!], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
let emuStatus = { sent: 0, overflow: 0, scanning: false };
emu.stdout!.on('data', (d: Buffer) => {
  const last = d.toString().trim().split('\n').pop();
  if (last) emuStatus = JSON.parse(last);
});
const command = (c: string) => emu.stdin!.write(`${c}\n`);

const e = epochOf(Date.now());
const config = presenceConfigFrom({
  scanners: [{ name: 'bench', zone: 'A', port: pair.a }],
  programUuid: BENCH_PROGRAM_UUID,
  tokens: Array.from({ length: members }, (_, i) => [e - 1, e, e + 1, e + 2].map((epoch) => ({ member: benchMember(i), epoch, token: memberToken(benchMemberKey(i), epoch).toString(16).padStart(8, '0') }))).flat(),
});
const db = openDatabase(join(dir, 'gw.db'));
const logger = pino({ level: 'warn' });
const scanners = createNobleScanners({ scanners: [{ name: 'bench', zone: 'A', transport: { kind: 'uart', path: pair.a, baudRate: 1_000_000 } }], accept: acceptPrefixes(config), clock: systemClock, logger });
const service = createPresenceService({ config, db, clock: systemClock, logger, timeZone: 'UTC', outboxTtlMs: 86_400_000, scanners });
service.start();
const deadline = Date.now() + 30_000;
while (scanners.health()[0]!.state !== 'up' || !emuStatus.scanning) {
  if (Date.now() > deadline) throw new Error('scanner did not come up');
  await sleep(50);
}
const ingested = () => {
  const c = service.stats().adverts;
  return (c.member ?? 0) + (c.tag ?? 0) + (c.anonymous ?? 0) + (c.dropped ?? 0);
};
const heardByWorker = async () => (await scanners.workerStats())[0]?.heard ?? 0;

// 1. As fast as it goes: adverts/s through emulator, noble, IPC, core and store.
command('rate max');
await sleep(1500); // warm up
let w0 = await heardByWorker();
let i0 = ingested();
let t0 = performance.now();
await sleep(seconds * 1000);
let dt = (performance.now() - t0) / 1000;
const maxRate = (ingested() - i0) / dt;
const maxHeard = ((await heardByWorker()) - w0) / dt;
command('rate 0');
await sleep(1000);

// 2. At 2,600 adverts/s: the gateway's CPU (main + worker) as a share of one core.
command('rate 2600');
await sleep(1500);
const pid = scanners.workerPids()[0]!;
w0 = await heardByWorker();
i0 = ingested();
const c0 = mainCpuMs() + procCpuMs(pid);
t0 = performance.now();
await sleep(seconds * 1000);
dt = (performance.now() - t0) / 1000;
const cpu = (mainCpuMs() + procCpuMs(pid) - c0) / 1000 / dt;
const pacedRate = (ingested() - i0) / dt;
const workerCpuRss = procRssMb(pid);
const mainRss = process.memoryUsage().rss / 2 ** 20;
command('quit');

const stored = (db.prepare('SELECT count(*) AS n FROM presence_events').get() as { n: number }).n;
const outbox = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
const wire = 1000 / wireTimeMs(46, 1_000_000);
console.log(`through emulator → pty → noble (worker) → IPC → engine → SQLite: ${maxRate.toFixed(0)} adverts/s (worker heard ${maxHeard.toFixed(0)}/s; ${emuStatus.overflow} dropped by the emulator's queue)`);
console.log(`at 2,600/s offered: ${pacedRate.toFixed(0)}/s ingested, gateway CPU ${(cpu * 100).toFixed(1)} % of one core (main + worker); rss main ${mainRss.toFixed(0)} MB + worker ${workerCpuRss.toFixed(0)} MB`);
console.log(`stored ${stored} presence events, ${outbox} outbox rows; ${members} members; a 1 Mbaud UART carries at most ${wire.toFixed(0)} iBeacon reports/s`);
await service.stop();
db.close();
await pair.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  adverts_per_s: Math.round(maxRate),
  cpu_share_at_2600: Number(cpu.toFixed(3)),
  rss_mb: Math.round(mainRss + workerCpuRss),
  rss_main_mb: Math.round(mainRss),
  rss_worker_mb: Math.round(workerCpuRss),
  ingested_at_2600_per_s: Math.round(pacedRate),
  uart_1mbaud_limit_per_s: Math.round(wire),
}));
process.exit(0);
