/** The till link over TCP: SimTill against a listening gateway, and the TCP-only behaviours. */
import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpDialConnector, TcpPosLink } from '../../gateway/adapters/pos/tcp-pos-link';
import { LinkEngine } from '../../gateway/adapters/pos/link-engine';
import { silentLogger } from '../../gateway/adapters/pos/link-types';
import { systemClock } from '../../gateway/ports/clock';
import { SimTill } from '../../firmware-sim/till/sim-till';
import { FAULT_KINDS } from '../../firmware-sim/till/faults';
import { journalSales } from '../../firmware-sim/till/journal';
import { stubTillService } from '../support/stub-till-service';
import { waitFor as pollUntil } from '../support/wait-for';

const common = { logger: silentLogger, clock: systemClock, reconnectMinMs: 50, reconnectMaxMs: 300 };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const waitFor = (cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => pollUntil(cond, what, timeoutMs, 10);

async function listeningGateway() {
  const stub = stubTillService();
  const link = new TcpPosLink({ ...common, lane: 'lane-t', mode: 'listen', host: '127.0.0.1', port: 0 });
  link.start(stub.handler);
  cleanups.push(() => link.stop());
  await waitFor(() => !link.health().endpoint.endsWith(':0'), 'listening');
  const port = Number(link.health().endpoint.split(':')[1]);
  return { link, stub, port };
}

describe('till link over TCP', () => {
  it('carries every message kind and survives every fault, reconnecting after a drop', async () => {
    const { link, stub, port } = await listeningGateway();
    const dir = mkdtempSync(join(tmpdir(), 'trouw-till-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const till = new SimTill({ transport: { kind: 'tcp', host: '127.0.0.1', port }, journal: join(dir, 'j.jsonl'), seed: 3 });
    cleanups.push(() => till.close());

    const sale = till.requests.sale({ member: 'M-1' });
    const results = [
      await till.hello(),
      await till.ping(),
      await till.identify({ card: true }),
      await till.basket(sale.lines),
      await till.send(sale),
      await till.refund(sale),
      await till.voidSale(sale.receipt),
      await till.endOfDay(),
    ];
    expect(results.map((r) => r.ok && r.value.type)).toEqual([
      'hello.ok',
      'ping.ok',
      'identify.ok',
      'basket.ok',
      'sale.ok',
      'refund.ok',
      'void.ok',
      'end-of-day.ok',
    ]);

    for (const fault of FAULT_KINDS) {
      const s = till.requests.sale();
      const r = await till.send(s, { fault });
      expect(r.ok ? r.value : r.error, fault).toMatchObject({ type: 'sale.ok', id: s.id, receipt: s.receipt });
      expect(stub.calls.get(s.id), fault).toBe(1);
    }
    expect(link.health().state).toBe('up');
    expect(link.health().counters.duplicates).toBeGreaterThan(0);
  });

  it('fails open after failOpenMs, keeps the sale pending, and clears it when the late answer comes', async () => {
    const stub = stubTillService();
    let slowFirst = true;
    const link = new TcpPosLink({ ...common, lane: 'lane-t', mode: 'listen', host: '127.0.0.1', port: 0 });
    link.start(async (body, ctx) => {
      if (slowFirst) {
        slowFirst = false;
        await new Promise((r) => setTimeout(r, 700));
      }
      return stub.handler(body, ctx);
    });
    cleanups.push(() => link.stop());
    await waitFor(() => !link.health().endpoint.endsWith(':0'), 'listening');
    const dir = mkdtempSync(join(tmpdir(), 'trouw-till-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const journal = join(dir, 'j.jsonl');
    const port = Number(link.health().endpoint.split(':')[1]);
    const till = new SimTill({ transport: { kind: 'tcp', host: '127.0.0.1', port }, journal, failOpenMs: 300 });
    cleanups.push(() => till.close());

    const sale = till.requests.sale();
    const r = await till.send(sale);
    expect(r.ok ? r.value : r.error).toMatchObject({ code: 'timeout', pending: true });
    expect(till.pending()).toEqual([sale.id]);
    await waitFor(() => till.pending().length === 0, 'the late answer');
    const [entry] = journalSales(journal);
    expect(entry).toMatchObject({ id: sale.id, pending: false, response: { type: 'sale.ok', id: sale.id } });
    expect(stub.calls.get(sale.id)).toBe(1);
  });

  it('serves the newest connection when a till reconnects over a stale one', async () => {
    const { link, port } = await listeningGateway();
    const first = await new TcpDialConnector('127.0.0.1', port).connect();
    let firstLost = '';
    first.onLost((why) => (firstLost = why));
    const t1 = new LinkEngine(first.stream);
    expect(await t1.request('{"v":1,"id":"a","type":"ping"}')).toContain('ping.ok');

    const second = await new TcpDialConnector('127.0.0.1', port).connect();
    cleanups.push(() => second.close());
    const t2 = new LinkEngine(second.stream);
    expect(await t2.request('{"v":1,"id":"b","type":"ping"}')).toContain('ping.ok');
    await waitFor(() => firstLost !== '', 'the older connection to be closed');
    expect(link.health().state).toBe('up');
    t1.close();
    t2.close();
  });

  it('dialling: down while nobody listens, up once the till listens', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));

    const link = new TcpPosLink({ ...common, lane: 'lane-d', mode: 'connect', host: '127.0.0.1', port });
    link.start(async () => '{}');
    cleanups.push(() => link.stop());
    await waitFor(() => link.health().state === 'down', 'down');
    expect(link.health().lastError).toMatch(/ECONNREFUSED/);

    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s.on('error', () => undefined)));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    cleanups.push(() => {
      sockets.forEach((s) => s.destroy());
      return new Promise<void>((r) => server.close(() => r()));
    });
    await waitFor(() => link.health().state === 'up', 'up');
  });
});
