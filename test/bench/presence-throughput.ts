/**
 * bench:presence-throughput (issue 4, issue 18): adverts per second through the whole path —
 * the HCI emulator (its own process) → a socat pty → the scanner worker (noble drives the
 * controller; the worker reads the advertising reports) → IPC → the presence engine → SQLite
 * and the outbox — and the gateway's CPU share (main process plus the worker, in cores) at
 * 2,600 adverts/s, about what one controller can report, and its resident memory.
 *
 * The CPU share is measured in A/B/A/B blocks against a raw baseline (HELPERS.md: the machine
 * is shared, so a figure taken once measures the neighbours too): A is a bare reader process
 * (test/bench/support/raw-hci-reader.mjs: serialport, H4 split, manufacturer data, prefix
 * check; no noble, IPC, engine or store) on its own pty and emulator at the same 2,600/s; B is
 * the gateway. `ratio` = A's CPU / B's CPU per pair (1.0: the gateway costs what merely
 * reading the line costs), with ratio_min / ratio_max across pairs; cpu_share_at_2600 is
 * the median of the B blocks, with cpu_share_min / cpu_share_max.
 *
 *   npm run bench:presence-throughput -- [--seconds 10] [--block 5] [--pairs 4] [--members 300]
 *     [--strangers 100] [--paced-only] [--profile DIR] [--advert-path direct|noble] [--uart-read tty|serialport]
 * --profile writes CPU profiles (main during the B blocks, the worker for its life) to DIR
 * and skips the max-rate phase; --paced-only skips it too. --advert-path noble --uart-read
 * serialport runs the worker as before issue 18 (noble's discover events, serialport's reads).
 *
 * A pty moves bytes at memory speed, so the wire is not in the figure: a 46-byte report takes
 * 0.46 ms at 1 Mbaud (8N1), so a UART at 1,000,000 baud carries at most ~2,170 reports/s
 * (printed below); 2,600/s needs a faster UART or USB. Last line: one JSON object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
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
import { interleave, spreadLine } from './support/interleave';

const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    members: { type: 'string', default: '300' },
    strangers: { type: 'string', default: '100' },
    profile: { type: 'string' },
    'paced-only': { type: 'boolean', default: false },
    block: { type: 'string', default: '5' },
    'advert-path': { type: 'string', default: 'direct' },
    'uart-read': { type: 'string', default: 'tty' },
    pairs: { type: 'string', default: '4' },
  },
});
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
const rawPair = await startSocat({ a: join(dir, 'raw'), b: join(dir, 'raw-ctl') });
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** One emulator process on a pty's controller end; `command('rate N')` paces it. */
function startEmulator(port: string) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      tsx,
      join(import.meta.dirname, '../../firmware-sim/hci/load-cli.ts'),
      '--port',
      port,
      '--members',
      String(members),
      '--strangers',
      a.strangers!,
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const em = { child, status: { sent: 0, overflow: 0, scanning: false }, command: (c: string) => child.stdin!.write(`${c}\n`) };
  child.stdout!.on('data', (d: Buffer) => {
    const last = d.toString().trim().split('\n').pop();
    if (last) em.status = JSON.parse(last);
  });
  return em;
}
const emu = startEmulator(pair.b);
const rawEmu = startEmulator(rawPair.b);
const command = emu.command;

const e = epochOf(Date.now());
const config = presenceConfigFrom({
  scanners: [{ name: 'bench', zone: 'A', port: pair.a }],
  programUuid: BENCH_PROGRAM_UUID,
  tokens: Array.from({ length: members }, (_, i) =>
    [e - 1, e, e + 1, e + 2].map((epoch) => ({ member: benchMember(i), epoch, token: memberToken(benchMemberKey(i), epoch).toString(16).padStart(8, '0') })),
  ).flat(),
});
const db = openDatabase(join(dir, 'gw.db'));
const logger = pino({ level: 'warn' });
const profileDir = a.profile;
const scanners = createNobleScanners({
  scanners: [{ name: 'bench', zone: 'A', transport: { kind: 'uart', path: pair.a, baudRate: 1_000_000 } }],
  accept: acceptPrefixes(config),
  clock: systemClock,
  logger,
  advertPath: a['advert-path'] === 'noble' ? 'noble' : 'direct',
  uartRead: a['uart-read'] === 'serialport' ? 'serialport' : 'tty',
  ...(profileDir && { workerExecArgv: ['--cpu-prof', '--cpu-prof-dir', profileDir] }),
});
const service = createPresenceService({ config, db, clock: systemClock, logger, timeZone: 'UTC', outboxTtlMs: 86_400_000, scanners });
service.start();
const deadline = Date.now() + 30_000;
while (scanners.health()[0]!.state !== 'up' || !emu.status.scanning) {
  if (Date.now() > deadline) throw new Error('scanner did not come up');
  await sleep(50);
}
const ingested = () => {
  const c = service.stats().adverts;
  return (c.member ?? 0) + (c.tag ?? 0) + (c.anonymous ?? 0) + (c.dropped ?? 0);
};
const heardByWorker = async () => (await scanners.workerStats())[0]?.heard ?? 0;

// 1. As fast as it goes: adverts/s through emulator, noble, IPC, core and store. Skipped
//    with --profile (the worker's profile covers its whole life) and --paced-only.
let maxRate = NaN;
let maxHeard = NaN;
if (!profileDir && !a['paced-only']) {
  command('rate max');
  await sleep(1500); // warm up
  const w0 = await heardByWorker();
  const i0 = ingested();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const dt = (performance.now() - t0) / 1000;
  maxRate = (ingested() - i0) / dt;
  maxHeard = ((await heardByWorker()) - w0) / dt;
  command('rate 0');
  await sleep(1000);
}

// 2. At 2,600 adverts/s: the gateway's CPU (main + worker) as a share of one core, in blocks
//    alternating with the raw reader's (A) on its own pty at the same rate.
const raw: ChildProcess = spawn(process.execPath, [join(import.meta.dirname, 'support/raw-hci-reader.mjs'), rawPair.a, acceptPrefixes(config)[0] ?? ''], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
let rawCounts = { heard: 0, passed: 0 };
raw.stdout!.on('data', (d: Buffer) => {
  const last = d.toString().trim().split('\n').pop();
  if (last) rawCounts = JSON.parse(last);
});
const rawCountsNow = async () => {
  raw.stdin!.write('counts\n');
  await sleep(100);
  return rawCounts;
};
while (!rawEmu.status.scanning) {
  if (Date.now() > deadline + 30_000) throw new Error('raw reader did not start scanning');
  await sleep(50);
}
const pid = scanners.workerPids()[0]!;
if (process.env.BENCH_PIDS) writeFileSync(process.env.BENCH_PIDS, `${process.pid} ${pid} ${raw.pid!}\n`);
const block = Number(a.block) * 1000;
const session = profileDir ? new Session() : undefined;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
}
const pacedRates: number[] = [];
const rawRates: number[] = [];
/** Runs `em` at 2,600/s for one block and returns the CPU share `cpuMs` measured over it. */
async function paced(
  em: ReturnType<typeof startEmulator>,
  cpuMs: () => number,
  count: () => number | Promise<number>,
  rates: number[],
  profile = false,
): Promise<number> {
  em.command('rate 2600');
  await sleep(1000); // up to speed
  const n0 = await count();
  if (profile) await session?.post('Profiler.start');
  const c0 = cpuMs();
  const t = performance.now();
  await sleep(block);
  const s = (performance.now() - t) / 1000;
  const share = (cpuMs() - c0) / 1000 / s;
  if (profile && session) {
    const { profile: prof } = await session.post('Profiler.stop');
    writeFileSync(join(profileDir!, `main-at-2600-${rates.length}.cpuprofile`), JSON.stringify(prof));
  }
  rates.push(((await count()) - n0) / s);
  em.command('rate 0');
  await sleep(300);
  return share;
}
const cpuRuns = await interleave({
  pairs: Number(a.pairs),
  a: () =>
    paced(
      rawEmu,
      () => procCpuMs(raw.pid!),
      async () => (await rawCountsNow()).heard,
      rawRates,
    ),
  b: () => paced(emu, () => mainCpuMs() + procCpuMs(pid), ingested, pacedRates, true),
  ratio: (rawShare, gatewayShare) => rawShare / gatewayShare,
  onPair: (p) =>
    console.log(`  pair ${p.pair + 1}: raw reader ${(p.a * 100).toFixed(1)} %, gateway ${(p.b * 100).toFixed(1)} % of a core; ratio ${p.ratio.toFixed(3)}`),
});
session?.disconnect();
const cpu = cpuRuns.bMedian;
const pacedRate = pacedRates.sort((x, y) => x - y)[pacedRates.length >> 1]!;
const rawRate = rawRates.sort((x, y) => x - y)[rawRates.length >> 1]!;
const workerCpuRss = procRssMb(pid);
const mainRss = process.memoryUsage().rss / 2 ** 20;
command('quit');
rawEmu.command('quit');
raw.stdin!.write('quit\n');

const stored = (db.prepare('SELECT count(*) AS n FROM presence_events').get() as { n: number }).n;
const outbox = (db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number }).n;
const wire = 1000 / wireTimeMs(46, 1_000_000);
if (!Number.isNaN(maxRate))
  console.log(
    `through emulator → pty → worker → IPC → engine → SQLite: ${maxRate.toFixed(0)} adverts/s (worker heard ${maxHeard.toFixed(0)}/s; ${emu.status.overflow} dropped by the emulator's queue)`,
  );
console.log(
  `at 2,600/s offered: ${pacedRate.toFixed(0)}/s ingested, gateway CPU ${(cpu * 100).toFixed(1)} % of one core (main + worker; blocks ${(Math.min(...cpuRuns.b) * 100).toFixed(1)}–${(Math.max(...cpuRuns.b) * 100).toFixed(1)} %); raw reader ${(cpuRuns.aMedian * 100).toFixed(1)} % at ${rawRate.toFixed(0)}/s; ${spreadLine(cpuRuns)}`,
);
console.log(
  `rss main ${mainRss.toFixed(0)} MB + worker ${workerCpuRss.toFixed(0)} MB; stored ${stored} presence events, ${outbox} outbox rows; ${members} members; a 1 Mbaud UART carries at most ${wire.toFixed(0)} iBeacon reports/s`,
);
await service.stop();
db.close();
await pair.close();
await rawPair.close();
rmSync(dir, { recursive: true, force: true });
const r3 = (x: number) => Number(x.toFixed(3));
console.log(
  JSON.stringify({
    adverts_per_s: Number.isNaN(maxRate) ? null : Math.round(maxRate),
    cpu_share_at_2600: r3(cpu),
    cpu_share_min: r3(Math.min(...cpuRuns.b)),
    cpu_share_max: r3(Math.max(...cpuRuns.b)),
    raw_cpu_share_at_2600: r3(cpuRuns.aMedian),
    ratio: r3(cpuRuns.ratio),
    ratio_min: r3(cpuRuns.ratioMin),
    ratio_max: r3(cpuRuns.ratioMax),
    pairs: cpuRuns.ratios.length,
    rss_mb: Math.round(mainRss + workerCpuRss),
    rss_main_mb: Math.round(mainRss),
    rss_worker_mb: Math.round(workerCpuRss),
    ingested_at_2600_per_s: Math.round(pacedRate),
    uart_1mbaud_limit_per_s: Math.round(wire),
  }),
);
process.exit(0);
