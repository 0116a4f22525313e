/**
 * The till link end to end over a real serial line: a socat pty pair, serialport on both
 * ends, the gateway's SerialPosLink (with a stub till service) on one, SimTill on the other.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPosLink } from '../../gateway/adapters/pos/serial-pos-link';
import type { LinkLogger } from '../../gateway/adapters/pos/link-types';
import { systemClock } from '../../gateway/ports/clock';
import type { LinkHealth } from '../../gateway/ports/pos-link';
import { SimTill, type SimTillOptions } from '../../firmware-sim/till/sim-till';
import { FAULT_KINDS, type FaultKind } from '../../firmware-sim/till/faults';
import { journalSales } from '../../firmware-sim/till/journal';
import { requireSocat, startSocat, type PtyPair } from '../support/socat';
import { stubTillService } from '../support/stub-till-service';
import { waitFor as pollUntil } from '../support/wait-for';

const MEMBERS = ['M-100001', 'M-100002', 'M-100003'];

type Counters = LinkHealth['counters'];
/** What each fault must leave behind in the counters (gateway, till) after four rounds. */
const EVIDENCE: Record<FaultKind, (gw: Counters, till: Counters) => boolean> = {
  bitflip: (_, till) => till.retries >= 4, // NAKed, or never ACKed: resent either way
  truncate: (gw, till) => gw.naksSent >= 4 && till.retries >= 4,
  garbage: (gw) => gw.garbageBytes > 0,
  duplicate: (gw) => gw.duplicates >= 4,
  gap: (gw, till) => gw.naksSent >= 4 && till.retries >= 4,
  // The partial frame either times out (NAK) or is swallowed by the resend behind it (garbage).
  disconnect: (gw, till) => till.framesOut >= 13 && gw.naksSent + gw.garbageBytes > 0,
};
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trouw-till-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Logger that keeps every line, to check that no frame body reaches the log. */
function captureLogger() {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg });
  const logger: LinkLogger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

const waitFor = (cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => pollUntil(cond, what, timeoutMs, 20);

async function socat(opts: { a?: string; b?: string } = {}): Promise<PtyPair> {
  const pair = await startSocat(opts);
  cleanups.push(() => pair.close());
  return pair;
}

function gatewayLink(path: string, logger: LinkLogger = captureLogger().logger) {
  const stub = stubTillService();
  const link = new SerialPosLink({ lane: 'lane-1', path, logger, clock: systemClock, reconnectMinMs: 50, reconnectMaxMs: 300 });
  link.start(stub.handler);
  cleanups.push(() => link.stop());
  return { link, stub };
}

function simTill(path: string, opts: Partial<SimTillOptions> = {}) {
  const till = new SimTill({ transport: { kind: 'serial', path }, journal: join(tempDir(), 'till.jsonl'), members: MEMBERS, seed: 7, ...opts });
  cleanups.push(() => till.close());
  return till;
}

const state = (link: { health(): LinkHealth }) => link.health().state;

beforeAll(() => requireSocat());

describe('till link over a socat pty pair', () => {
  it('exchanges every message kind, each handled once', async () => {
    const pair = await socat();
    const { logger, lines } = captureLogger();
    const { link, stub } = gatewayLink(pair.a, logger);
    await waitFor(() => state(link) === 'up', 'link up');
    const till = simTill(pair.b);
    await till.open();
    expect(await till.probe()).toBe(true);

    const sale = till.requests.sale({ member: MEMBERS[0]! });
    const results = [
      await till.hello(),
      await till.ping(),
      await till.identify({ member: MEMBERS[1]! }),
      await till.basket(sale.lines, MEMBERS[0]),
      await till.send(sale),
      await till.refund(sale),
      await till.voidSale(sale.receipt),
      await till.endOfDay('2026-11-23'),
    ];
    const types = results.map((r) => (r.ok ? r.value.type : `failed: ${r.error.message}`));
    expect(types).toEqual(['hello.ok', 'ping.ok', 'identify.ok', 'basket.ok', 'sale.ok', 'refund.ok', 'void.ok', 'end-of-day.ok']);
    expect([...stub.calls.values()].every((n) => n === 1)).toBe(true);
    expect(stub.calls.size).toBe(8);
    const saleResult = results[4]!;
    expect(saleResult.ok && saleResult.value.type === 'sale.ok' && saleResult.value.receipt).toBe(sale.receipt);
    expect(link.health().counters).toMatchObject({ framesIn: 8, framesOut: 8, naksSent: 0, duplicates: 0 });
    // Member numbers travel in bodies; bodies never reach the log.
    expect(JSON.stringify(lines)).not.toMatch(/M-10000/);
  });

  it.each(FAULT_KINDS)('survives a %s fault: one handler call, the right answer', async (fault) => {
    const pair = await socat();
    const { link, stub } = gatewayLink(pair.a);
    await waitFor(() => state(link) === 'up', 'link up');
    const till = simTill(pair.b, { seed: FAULT_KINDS.indexOf(fault) + 11 });
    await till.open();
    expect((await till.ping()).ok).toBe(true);
    // Several rounds, so the fault lands on different bytes of the frame.
    for (let round = 0; round < 4; round++) {
      const sale = till.requests.sale();
      const result = await till.send(sale, { fault });
      expect(result.ok ? result.value : result.error).toMatchObject({ type: 'sale.ok', id: sale.id, receipt: sale.receipt });
      expect(stub.calls.get(sale.id)).toBe(1);
      // A clean exchange right after: no stray byte of the fault confuses the next request.
      const ping = await till.ping();
      expect(ping.ok).toBe(true);
    }
    expect(till.pending()).toEqual([]);
    const evidence = { gateway: link.health().counters, till: till.counters };
    expect(EVIDENCE[fault](evidence.gateway, evidence.till), JSON.stringify(evidence)).toBe(true);
  });

  it('every journalled sale reaches the gateway under random faults', async () => {
    const pair = await socat();
    const { link, stub } = gatewayLink(pair.a);
    await waitFor(() => state(link) === 'up', 'link up');
    const till = simTill(pair.b, { faults: { rate: 0.5 }, seed: 99 });
    await till.runSales(12);
    await till.settled();
    await till.flushPending();
    expect(till.pending()).toEqual([]);
    const sales = journalSales(till.journalPath);
    expect(sales).toHaveLength(12);
    expect(sales.every((s) => s.response?.type === 'sale.ok' && !s.pending)).toBe(true);
    const appliedSales = stub.applied.filter((id) => stub.requests.get(id)?.type === 'sale');
    expect(appliedSales.sort()).toEqual(sales.map((s) => s.id).sort());
    expect(link.health().counters.naksSent + link.health().counters.garbageBytes).toBeGreaterThan(0);
  });

  it('reports a missing port as down and comes up when it appears', async () => {
    const dir = tempDir();
    const a = join(dir, 'A');
    const b = join(dir, 'B');
    const { link } = gatewayLink(a);
    await waitFor(() => state(link) === 'down', 'link down');
    expect(link.health().lastError).toContain(a);
    await new Promise((r) => setTimeout(r, 200)); // a few retries pass
    expect(state(link)).toBe('down');

    await socat({ a, b });
    await waitFor(() => state(link) === 'up', 'link up after the port appeared');
    const till = simTill(b);
    expect((await till.ping()).ok).toBe(true);
  });

  it('goes down when the cable is pulled and recovers on a new pair at the same path', async () => {
    const dir = tempDir();
    const a = join(dir, 'A');
    const b = join(dir, 'B');
    const first = await startSocat({ a, b });
    const { link, stub } = gatewayLink(a);
    await waitFor(() => state(link) === 'up', 'link up');
    const till = simTill(b, { failOpenMs: 2000 });
    expect((await till.ping()).ok).toBe(true);

    await first.close('SIGKILL');
    await waitFor(() => state(link) === 'down', 'link down after unplug');
    expect(link.health().lastError).toBeTruthy();
    // The till fails open while the cable is out, and keeps the sale to resend.
    const lost = await till.sale({ member: MEMBERS[2]! });
    expect(lost.ok).toBe(false);
    expect(till.pending()).toHaveLength(1);

    await socat({ a, b });
    await waitFor(() => state(link) === 'up', 'link up on the new pair');
    const next = await till.sale();
    expect(next.ok).toBe(true);
    await till.settled(); // the automatic resend of the pending sale
    expect(till.pending()).toEqual([]);
    const journal = journalSales(till.journalPath);
    expect(journal.map((s) => s.id).sort()).toEqual(stub.applied.filter((id) => stub.requests.get(id)?.type === 'sale').sort());
  });
});
