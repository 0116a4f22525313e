/**
 * Simulated till on the command line:
 *   tsx firmware-sim/till/main.ts --serial /dev/pts/5 --sales 100 --members M-1,M-2 --faults 0.05
 *   tsx firmware-sim/till/main.ts --tcp 127.0.0.1:7001 --members members.txt --journal till.jsonl
 * Rings hello, then N random sales, then resends whatever failed open, and prints a summary
 * (one JSON object on the last line).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind } from './faults';
import { SimTill, type TillTransport } from './sim-till';

const USAGE =
  'usage: main.ts (--serial PATH [--baud 115200] | --tcp HOST:PORT) [--sales N] [--members FILE|A,B,C] ' +
  '[--faults RATE] [--fault-kinds bitflip,gap,...] [--journal FILE] [--seed N] [--lane ID]';

function fail(message: string): never {
  console.error(`till-sim: ${message}\n${USAGE}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    serial: { type: 'string' },
    baud: { type: 'string', default: '115200' },
    tcp: { type: 'string' },
    sales: { type: 'string', default: '10' },
    members: { type: 'string' },
    faults: { type: 'string', default: '0' },
    'fault-kinds': { type: 'string' },
    journal: { type: 'string', default: 'till-journal.jsonl' },
    seed: { type: 'string' },
    lane: { type: 'string', default: 'lane-1' },
  },
});

function transport(): TillTransport {
  if (values.serial && values.tcp) fail('give --serial or --tcp, not both');
  if (values.serial) {
    const baudRate = Number(values.baud);
    if (![9600, 19200, 38400, 57600, 115200].includes(baudRate)) fail(`--baud ${values.baud}: expected 9600…115200`);
    return { kind: 'serial', path: values.serial, baudRate: baudRate as 115200 };
  }
  const m = /^(.+):(\d+)$/.exec(values.tcp ?? '');
  if (!m) fail('give --serial PATH or --tcp HOST:PORT');
  return { kind: 'tcp', host: m[1]!, port: Number(m[2]) };
}

function members(): string[] {
  const v = values.members;
  if (!v) return [];
  const text = existsSync(v) ? readFileSync(v, 'utf8') : v;
  return text.split(/[\s,]+/).filter(Boolean);
}

function number(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) fail(`--${name} ${v}: expected a number from ${min} to ${max}`);
  return n;
}

async function main(): Promise<void> {
  const kinds = values['fault-kinds']?.split(',').map((k) => k.trim()) ?? [...FAULT_KINDS];
  for (const k of kinds) if (!(FAULT_KINDS as readonly string[]).includes(k)) fail(`--fault-kinds: unknown kind ${k}`);
  const till = new SimTill({
    transport: transport(),
    journal: values.journal,
    lane: values.lane,
    members: members(),
    seed: values.seed !== undefined ? number('seed', values.seed, 0, 2 ** 32 - 1) : Math.floor(Math.random() * 2 ** 32),
    faults: { rate: number('faults', values.faults, 0, 1), kinds: kinds as FaultKind[] },
  });
  const hello = await till.hello();
  console.log(hello.ok ? `hello: ${JSON.stringify(hello.value)}` : `hello failed open: ${hello.error.message}`);
  const results = await till.runSales(number('sales', values.sales, 0, 1_000_000));
  await till.settled();
  const flushed = await till.flushPending();
  const answered = results.filter((r) => r.ok).length;
  const summary = {
    sales: results.length,
    answered,
    failedOpen: results.length - answered,
    resent: flushed.resent,
    resentAnswered: flushed.answered,
    pending: till.pending().length,
    counters: till.counters,
    journal: values.journal,
  };
  await till.close();
  console.log(JSON.stringify(summary));
  process.exitCode = summary.pending > 0 ? 1 : 0;
}

main().catch((e: unknown) => {
  console.error(`till-sim: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
