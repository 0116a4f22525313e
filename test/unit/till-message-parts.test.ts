/**
 * Long till messages in part frames (issue 14): every part fits a 0x400 frame and is valid
 * UTF-8 on its own; the parts join back to the message; a message that fits stays one plain
 * frame (old tills); part 1 starts over; a part out of order drops the message.
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { MAX_BODY, encodeFrame } from '../../gateway/core/till/frame';
import { MAX_PARTS, PartAssembler, isPart, splitMessage } from '../../gateway/core/till/message-parts';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const join = (parts: string[]) => {
  const a = new PartAssembler();
  const out = parts.map((p) => a.push(p));
  return { last: out.at(-1)!, before: out.slice(0, -1) };
};

describe('till message parts', () => {
  it('leaves a message that fits one frame as it is', () => {
    const m = JSON.stringify({ v: 1, id: 'a', type: 'ping' });
    expect(splitMessage(m)).toEqual([m]);
    expect(splitMessage('x'.repeat(MAX_BODY))).toHaveLength(1);
    expect(new PartAssembler().push(m)).toEqual({ kind: 'message', text: m, parts: 1 });
  });

  it('splits a 250-line sale into frames of at most 0x400 bytes and joins it back', () => {
    const lines = Array.from({ length: 250 }, (_, i) => ({ sku: `87103985${String(i).padStart(5, '0')}`, category: 'dairy', qty: 1, amountCents: 129 + i }));
    const m = JSON.stringify({ v: 1, id: 'S-1', type: 'sale', receipt: 'R-1', lines, tenders: [] });
    const parts = splitMessage(m);
    expect(parts.length).toBeGreaterThan(10);
    for (const [i, p] of parts.entries()) {
      expect(bytes(p)).toBeLessThanOrEqual(MAX_BODY);
      expect(isPart(p)).toBe(true);
      expect(p.startsWith(`\u001e${i + 1}/${parts.length}\u001f`)).toBe(true);
      expect(() => encodeFrame(i & 0xff, p)).not.toThrow();
    }
    const { last, before } = join(parts);
    expect(before.every((b) => b.kind === 'pending')).toBe(true);
    expect(last).toEqual({ kind: 'message', text: m, parts: parts.length });
  });

  test.prop([fc.string({ unit: 'grapheme', minLength: 0, maxLength: 4000 })])('cuts only at character boundaries, any text', (s) => {
    const parts = splitMessage(s, 64);
    for (const p of parts) {
      expect(bytes(p)).toBeLessThanOrEqual(64);
      expect(Buffer.from(p, 'utf8').toString('utf8')).toBe(p); // valid UTF-8 on its own
    }
    expect(join(parts).last).toMatchObject({ kind: 'message', text: s });
  });

  it('starts over at part 1, drops a message with a part missing or foreign', () => {
    const m = 'é'.repeat(3000);
    const parts = splitMessage(m);
    const a = new PartAssembler();
    a.push(parts[0]!);
    a.push(parts[1]!);
    // The till failed open and sends the message again from the start.
    for (const p of parts.slice(0, -1)) expect(a.push(p).kind).toBe('pending');
    expect(a.push(parts.at(-1)!)).toMatchObject({ kind: 'message', text: m });
    const b = new PartAssembler();
    b.push(parts[0]!);
    expect(b.push(parts[2]!)).toEqual({ kind: 'dropped', reason: 'out-of-order' });
    expect(b.push(parts.at(-1)!)).toEqual({ kind: 'dropped', reason: 'out-of-order' });
    expect(new PartAssembler().push('\u001e0/2\u001fx')).toEqual({ kind: 'dropped', reason: 'bad-part' });
    expect(new PartAssembler().push('\u001e1/1\u001fx')).toEqual({ kind: 'dropped', reason: 'bad-part' });
    expect(new PartAssembler().push(`\u001e1/${MAX_PARTS + 1}\u001fx`)).toEqual({ kind: 'dropped', reason: 'bad-part' });
    expect(new PartAssembler().push('\u001e1/2x')).toEqual({ kind: 'dropped', reason: 'bad-part' });
    // A plain frame in the middle of a message is a message of its own; the parts are dropped.
    const c = new PartAssembler();
    c.push(parts[0]!);
    expect(c.push('{"v":1}')).toEqual({ kind: 'message', text: '{"v":1}', parts: 1 });
    expect(c.inMessage).toBe(false);
  });

  it('refuses a message longer than the parts can carry', () => {
    expect(() => splitMessage('x'.repeat(MAX_PARTS * 1100))).toThrow(RangeError);
  });
});
