import { afterEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../gateway/api/build-api';
import { summariseHealth } from '../../gateway/app/summarise-health';
import { validateConfig } from '../../gateway/config/load';
import type { LinkHealth } from '../../gateway/ports/pos-link';

const config = validateConfig({});
const lane = (state: LinkHealth['state'], lastError?: string): LinkHealth => ({
  lane: 'lane-1',
  transport: 'serial',
  endpoint: '/dev/ttyUSB0',
  state,
  since: 1,
  ...(lastError && { lastError }),
  counters: { framesIn: 3, framesOut: 3, naksSent: 0, naksReceived: 0, retries: 0, duplicates: 0, garbageBytes: 0 },
});

describe('health API', () => {
  let app: FastifyInstance | undefined;
  afterEach(() => app?.close());

  it('is down (503) while a needed device is not up: every lane by default (issue 14)', async () => {
    const lanes = [lane('up'), { ...lane('down', 'unplugged'), lane: 'lane-2' }];
    const devices = [
      { name: 'broker', kind: 'mqtt', state: 'down' as const },
      { name: 'reader 1', kind: 'pcsc', state: 'up' as const },
    ];
    let cfg = config;
    app = await buildApi({
      health: () => summariseHealth({ config: cfg, startedAt: 0, lanes, devices, database: { name: 'ledger', kind: 'sqlite', state: 'up' } }),
      ready: () => true,
    });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ status: 'down', neededDown: ['lane:lane-2'] });
    cfg = validateConfig({ health: { needed: ['lane:lane-1', 'kind:mqtt'] } });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toMatchObject({ status: 'down', neededDown: ['broker'] });
    cfg = validateConfig({ health: { needed: ['lane:lane-1'] } });
    const degraded = await app.inject({ method: 'GET', url: '/healthz' });
    expect(degraded.statusCode).toBe(200);
    expect(degraded.json().status).toBe('degraded');
    expect(degraded.json().neededDown).toBeUndefined();
  });

  it('reports each lane with its state and last error, and degrades when one not needed is down', async () => {
    const lanes = [lane('up'), { ...lane('down', 'ENOENT: no such file /dev/ttyUSB1'), lane: 'lane-2', endpoint: '/dev/ttyUSB1' }];
    const notNeeded = validateConfig({ health: { needed: [] } });
    app = await buildApi({
      health: () => summariseHealth({ config: notNeeded, startedAt: 0, lanes, database: { name: 'ledger', kind: 'sqlite', state: 'up' } }),
      ready: () => true,
    });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('degraded');
    expect(body.lanes[1]).toMatchObject({ lane: 'lane-2', state: 'down', lastError: 'ENOENT: no such file /dev/ttyUSB1' });
    expect(body.lanes[0].counters.framesIn).toBe(3);
  });

  it('is down (503) when the ledger is unusable, and readyz follows readiness', async () => {
    let ready = false;
    app = await buildApi({
      health: () => summariseHealth({ config, startedAt: 0, lanes: [lane('up')], database: { name: 'ledger', kind: 'sqlite', state: 'down' } }),
      ready: () => ready,
    });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(503);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    ready = true;
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ ready: true });
  });

  it('is ok when every lane is up', async () => {
    app = await buildApi({
      health: () => summariseHealth({ config, startedAt: 0, lanes: [lane('up')], database: { name: 'ledger', kind: 'sqlite', state: 'up' } }),
      ready: () => true,
    });
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json().status).toBe('ok');
  });
});
