import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatRegistry, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { tillRequestSchemas, type TillRequest } from '../../gateway/core/till/messages';
import { encodeFrame } from '../../gateway/core/till/frame';
import { RequestFactory } from '../../firmware-sim/till/requests';
import { createRng } from '../../firmware-sim/till/prng';
import { FAULT_KINDS, transmitWithFault, type FaultKind } from '../../firmware-sim/till/faults';
import { Journal, readJournal, summariseJournal } from '../../firmware-sim/till/journal';

if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));

const MEMBERS = ['M-1', 'M-2'];
const factory = (seed = 1, members = MEMBERS, journalled: TillRequest[] = []) =>
  new RequestFactory(
    { lane: 'lane-1', receiptPrefix: 'L1', now: () => Date.UTC(2026, 10, 23, 12), rng: createRng(seed), members, memberRate: 0.7 },
    journalled,
  );

const valid = (r: TillRequest) => Value.Check(tillRequestSchemas[r.type] as TSchema, r);

describe('SimTill requests', () => {
  it('builds every message kind to its schema, with ULID ids', () => {
    const f = factory();
    const sale = f.sale();
    const all: TillRequest[] = [
      f.hello(),
      f.ping(),
      f.identify({ member: 'M-1' }),
      f.identify({ card: true }),
      f.identify({ phoneCode: '123456' }),
      f.basket(sale.lines, 'M-1'),
      sale,
      f.refund(sale),
      f.voidSale(sale.receipt),
      f.endOfDay('2026-11-23'),
      f.endOfDay(),
    ];
    for (const r of all) expect(valid(r), JSON.stringify(r)).toBe(true);
    for (const r of all) expect(r.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(new Set(all.map((r) => r.id)).size).toBe(all.length);
  });

  it('draws random sales from a seed: tobacco and gift cards included, members only from the list', () => {
    const a = Array.from({ length: 200 }, () => factory(5).sale());
    const f = factory(5);
    const b = Array.from({ length: 200 }, () => f.sale());
    const c = Array.from({ length: 200 }, () => factory(5).sale());
    expect(a.map((s) => s.lines)).toEqual(c.map((s) => s.lines)); // same seed, same basket
    const categories = new Set(b.flatMap((s) => s.lines.map((l) => l.category)));
    expect(categories).toContain('tobacco');
    expect(categories).toContain('gift-card');
    expect(b.every(valid)).toBe(true);
    expect(new Set(b.map((s) => s.member ?? null))).toEqual(new Set([...MEMBERS, null]));
    expect(new Set(b.map((s) => s.receipt)).size).toBe(200);
    expect(Array.from({ length: 50 }, () => factory(9, []).sale()).every((s) => s.member === undefined)).toBe(true);
  });

  it('numbers receipts on from the journal', () => {
    const old = factory().sale({ receipt: 'L1-000041' });
    expect(factory(1, MEMBERS, [old]).nextReceipt()).toBe('L1-000042');
  });
});

describe('SimTill faults', () => {
  const frame = encodeFrame(3, '{"v":1,"id":"01J9Z3K8Q2ABCDEF","type":"ping"}');
  async function wireFor(fault: FaultKind | null, seed: number) {
    const events: Array<{ write: Uint8Array } | 'stall' | 'drop'> = [];
    await transmitWithFault(
      frame,
      fault,
      {
        write: (b) => void events.push({ write: Uint8Array.from(b) }),
        stall: async () => void events.push('stall'),
        drop: async () => void events.push('drop'),
      },
      createRng(seed),
    );
    return events;
  }
  const bytes = (e: unknown) => (e as { write: Uint8Array }).write;
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

  it.each(FAULT_KINDS.flatMap((k) => [1, 2, 3].map((seed) => [k, seed] as const)))('%s (seed %i) puts the expected bytes on the wire', async (kind, seed) => {
    const ev = await wireFor(kind, seed);
    switch (kind) {
      case 'bitflip': {
        const b = bytes(ev[0]);
        const diff = [...b].map((x, i) => x ^ frame[i]!).filter((x) => x !== 0);
        expect(b.length).toBe(frame.length);
        expect(diff).toHaveLength(1);
        expect(diff[0]! & (diff[0]! - 1)).toBe(0); // one bit
        break;
      }
      case 'truncate':
        expect(ev).toHaveLength(1);
        expect(bytes(ev[0]).length).toBeLessThan(frame.length);
        expect(hex(frame)).toMatch(new RegExp(`^${hex(bytes(ev[0]))}`));
        break;
      case 'garbage':
        expect(hex(bytes(ev[0]))).toMatch(new RegExp(`.${hex(frame)}$`));
        break;
      case 'duplicate':
        expect(hex(bytes(ev[0]))).toBe(hex(frame) + hex(frame));
        break;
      case 'gap':
        expect(ev[1]).toBe('stall');
        expect(hex(bytes(ev[0])) + hex(bytes(ev[2]))).toBe(hex(frame));
        break;
      case 'disconnect':
        expect(ev[1]).toBe('drop');
        expect(bytes(ev[0]).length).toBeLessThan(frame.length);
        break;
    }
  });

  it('sends the frame as is without a fault', async () => {
    expect((await wireFor(null, 1)).map(bytes).map(hex)).toEqual([hex(frame)]);
  });
});

describe('SimTill journal', () => {
  it('keeps one record per id, latest state winning, and skips a torn last line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'trouw-journal-')), 'j.jsonl');
    const f = factory();
    const s1 = f.sale();
    const s2 = f.sale();
    const j = new Journal(path);
    const at = '2026-11-23T12:00:00.000Z';
    j.append({ kind: 'request', id: s1.id, type: 'sale', at, attempt: 1, body: s1 });
    j.append({ kind: 'pending', id: s1.id, at, reason: 'timeout' });
    j.append({ kind: 'request', id: s2.id, type: 'sale', at, attempt: 1, body: s2 });
    j.append({ kind: 'pending', id: s2.id, at, reason: 'timeout' });
    j.append({ kind: 'request', id: s1.id, type: 'sale', at, attempt: 2, body: s1 });
    const ok = { v: 1 as const, id: s1.id, type: 'sale.ok' as const, receipt: s1.receipt, member: null, pointsAwarded: 0 };
    j.append({ kind: 'response', id: s1.id, at, late: false, body: ok });
    j.close();
    writeFileSync(path, '{"kind":"requ', { flag: 'a' });
    const summary = summariseJournal(readJournal(path));
    expect(summary.map((r) => [r.id, r.attempts, r.pending, r.response?.type])).toEqual([
      [s1.id, 2, false, 'sale.ok'],
      [s2.id, 1, true, undefined],
    ]);
  });
});
