/**
 * bench:till phase "observed" (issue 16): the till's p99 while store IT watches, against the
 * same without. The gateway runs in this process with a serial lane (socat pty pair, 115200
 * baud) and HTTP on loopback; a raw till client rings sales. A blocks: nobody watches. B
 * blocks: a separate process (support/store-it-observer.mjs) scrapes /metrics every second
 * and holds the store page's event stream open. A/B/A/B, one p99 ratio (B / A) per pair,
 * median and spread; the target is a ratio below 1.1.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../../gateway/config/load';
import { createLogger } from '../../gateway/adapters/logging/create-logger';
import { startGateway } from '../../gateway/app/gateway';
import { startSocat } from '../support/socat';
import { RawTillClient } from './raw-till-client';
import { summary } from './stats';
import { interleave, type Interleaved } from './support/interleave';

const OBSERVER = fileURLToPath(new URL('./support/store-it-observer.mjs', import.meta.url));
const METRICS_TOKEN = 'bench-metrics-token-0123456789';
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

export interface ObservedResult extends Interleaved {
  unobservedP99: number;
  observedP99: number;
  scrapes: number;
  views: number;
}

export async function runObservedPhase(o: {
  dbPath: string;
  saleBody: (receipt: string) => string;
  pairs: number;
  block: number;
  log: (s: string) => void;
}): Promise<ObservedResult> {
  const pty = await startSocat();
  const config = validateConfig({
    database: { path: o.dbPath },
    http: { host: '127.0.0.1', port: 0, adminToken: ADMIN_TOKEN },
    metrics: { token: METRICS_TOKEN },
    lanes: [{ id: 'lane-1', transport: 'serial', path: pty.a, baudRate: 115200 }],
    log: { level: 'warn' },
  });
  const gateway = await startGateway(config, { logger: createLogger({ level: 'warn' }), printPairing: () => undefined });
  while (gateway.health().lanes[0]?.state !== 'up') await new Promise((r) => setTimeout(r, 20));
  const client = new RawTillClient(pty.b, 115200);
  await client.open();
  let n = 0;
  const block = async () => {
    const ms: number[] = [];
    for (let i = 0; i < o.block; i++) {
      const r = await client.exchange(o.saleBody(`O-${n++}`));
      if (!r.body.includes('"sale.ok"')) throw new Error(`unexpected answer: ${r.body.slice(0, 120)}`);
      ms.push(r.processingMs);
    }
    return summary(ms).p99;
  };
  for (let i = 0; i < 100; i++) await client.exchange(o.saleBody(`OW-${i}`));
  let scrapes = 0;
  let views = 0;
  const observed = async () => {
    const child = spawn(process.execPath, [OBSERVER, gateway.url()!, METRICS_TOKEN, ADMIN_TOKEN], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    const it = lines[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.value !== 'ready') throw new Error(`observer did not start: ${String(first.value)}`);
    let p99: number;
    try {
      p99 = await block();
    } finally {
      child.kill('SIGTERM');
    }
    const seen = JSON.parse(String((await it.next()).value)) as { scrapes: number; views: number; failures: number };
    if (seen.failures) throw new Error(`observer: ${seen.failures} failed scrapes`);
    scrapes += seen.scrapes;
    views += seen.views;
    return p99;
  };
  const r = await interleave({
    pairs: o.pairs,
    a: block,
    b: observed,
    onPair: (q) =>
      o.log(
        `  pair ${q.pair + 1}: p99 ${q.a.toFixed(3)} ms unobserved, ${q.b.toFixed(3)} ms with /metrics scraped every second and the store page open, ratio ${q.ratio.toFixed(3)}`,
      ),
  });
  await client.close();
  await gateway.stop();
  await pty.close();
  return { ...r, unobservedP99: r.aMedian, observedP99: r.bMedian, scrapes, views };
}
