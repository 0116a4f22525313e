/**
 * Where /metrics is served and who may read it (issue 16, config/metrics-schema.ts): on the
 * main listener only with the bearer token; on its own listener (`metrics.listen`) openly, or
 * with the token when one is set; nowhere when metrics are off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../../gateway/app/gateway';
import { validateConfig } from '../../gateway/config/load';
import { silentLogger } from '../support/browser';

const TOKEN = 'metrics-token-0123456789';
let gw: RunningGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

const start = async (metrics: object, listen = false) => {
  gw = await startGateway(validateConfig({ database: { path: ':memory:' }, http: { port: 0 }, metrics }), {
    logger: silentLogger,
    listen,
    printPairing: () => undefined,
  });
  return gw;
};

describe('/metrics access', () => {
  it('main listener: the token is required, store IT or no credential is refused', async () => {
    const g = await start({ token: TOKEN });
    expect((await g.api.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await g.api.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
    const ok = await g.api.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(ok.body).toContain('# TYPE trouw_sales_total counter');
    expect(ok.body).toContain('trouw_build_info{version="0.1.0",schema="');
  });

  it('main listener without a token: refused (deny by default)', async () => {
    const g = await start({});
    expect((await g.api.inject({ url: '/metrics' })).statusCode).toBe(401);
  });

  it('own listener without a token: served there, not on the main listener', async () => {
    const g = await start({ listen: { host: '127.0.0.1', port: 0 } }, true);
    const res = await fetch(`${g.metricsUrl()}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('process_cpu_seconds_total');
    expect((await fetch(`${g.url()}/metrics`)).status).toBe(404);
  });

  it('own listener with a token: the token is checked there too', async () => {
    const g = await start({ token: TOKEN, listen: { host: '127.0.0.1', port: 0 } }, true);
    expect((await fetch(`${g.metricsUrl()}/metrics`)).status).toBe(401);
    expect((await fetch(`${g.metricsUrl()}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('metrics.enabled false: no /metrics anywhere', async () => {
    const g = await start({ enabled: false, token: TOKEN });
    expect(g.metrics).toBeUndefined();
    expect((await g.api.inject({ url: '/metrics', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(404);
  });
});
