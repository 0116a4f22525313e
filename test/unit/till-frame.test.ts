import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { crc16kermit as referenceKermit } from 'crc';
import { crc16kermit } from '../../gateway/core/till/crc';
import { ACK, ENQ, FrameDecoder, FrameError, MAX_BODY, NAK, STX, encodeFrame, type FrameEvent } from '../../gateway/core/till/frame';

const EXAMPLE_BODY = '{"v":1,"id":"01J9Z3K8Q2ABCDEF","type":"ping"}';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const frames = (events: FrameEvent[]) => events.filter((e) => e.kind === 'frame');
const kinds = (events: FrameEvent[]) => events.filter((e) => e.kind !== 'garbage').map((e) => e.kind);

/** Push a stream in chunks at one instant, then let any partial frame time out. */
function decodeAll(chunks: Uint8Array[], dec = new FrameDecoder()): FrameEvent[] {
  const out = chunks.flatMap((c) => dec.push(c, 0));
  return [...out, ...dec.expire(1_000)];
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    parts.push(bytes.subarray(from, p));
    from = p;
  }
  return parts;
}

// JSON-like bodies (what the till sends): printable, never a raw control byte.
const jsonBody = fc
  .jsonValue({ maxDepth: 2 })
  .map((v) => JSON.stringify(v))
  .filter((s) => Buffer.byteLength(s) <= MAX_BODY);
const anyBody = fc.string({ unit: 'binary', maxLength: 300 });
const seq = fc.integer({ min: 0, max: 255 });

describe('CRC-16/KERMIT', () => {
  it('has the check value 0x2189 for "123456789"', () => {
    expect(crc16kermit(new TextEncoder().encode('123456789'))).toBe(0x2189);
  });

  test.prop([fc.uint8Array({ maxLength: 200 })])('matches the crc package', (bytes) => {
    expect(crc16kermit(bytes)).toBe(referenceKermit(Buffer.from(bytes)));
  });
});

describe('encodeFrame', () => {
  it('encodes the DESIGN.md §6 example byte for byte', () => {
    const frame = encodeFrame(1, EXAMPLE_BODY);
    expect(frame.length).toBe(55);
    const expected = Buffer.concat([
      Buffer.from([0x02, 0x30, 0x31, 0x30, 0x30, 0x32, 0x44]),
      Buffer.from(EXAMPLE_BODY, 'utf8'),
      Buffer.from([0x03, 0x95, 0xaa]),
    ]);
    expect(hex(frame)).toBe(hex(expected));
  });

  it('takes a body of exactly 0x400 bytes and refuses one more', () => {
    expect(encodeFrame(0, 'x'.repeat(MAX_BODY)).length).toBe(MAX_BODY + 10);
    expect(() => encodeFrame(0, 'x'.repeat(MAX_BODY + 1))).toThrow(FrameError);
    expect(() => encodeFrame(256, '{}')).toThrow(FrameError);
  });
});

describe('FrameDecoder', () => {
  it('decodes the example frame', () => {
    const events = new FrameDecoder().push(encodeFrame(1, EXAMPLE_BODY), 0);
    expect(events).toEqual([{ kind: 'frame', seq: 1, body: EXAMPLE_BODY, crc: 0xaa95 }]);
  });

  it('reports ACK, NAK and ENQ between frames', () => {
    const events = new FrameDecoder().push(Uint8Array.of(ACK, NAK, ENQ), 0);
    expect(kinds(events)).toEqual(['ack', 'nak', 'enq']);
  });

  it('rejects LEN above 0x400 as soon as the header is in', () => {
    const bad = new TextEncoder().encode('\x0200' + '0401');
    expect(new FrameDecoder().push(bad, 0)).toContainEqual({ kind: 'corrupt', reason: 'length' });
  });

  it('names each kind of corruption', () => {
    const frame = encodeFrame(7, '{"a":1}');
    const flip = (at: number, mask = 0x01) => frame.map((b, i) => (i === at ? b ^ mask : b));
    const reasonOf = (bytes: Uint8Array) => decodeAll([bytes]).find((e) => e.kind === 'corrupt');
    expect(reasonOf(flip(1, 0x40))).toEqual({ kind: 'corrupt', reason: 'header' }); // '0' → 'p'
    expect(reasonOf(flip(frame.length - 1))).toEqual({ kind: 'corrupt', reason: 'crc' });
    expect(reasonOf(flip(frame.length - 3))).toEqual({ kind: 'corrupt', reason: 'etx' });
    expect(reasonOf(frame.subarray(0, 10))).toEqual({ kind: 'corrupt', reason: 'timeout' });
    // A good frame whose body is not UTF-8 is not corruption: the line carried it faithfully.
    const notUtf8 = encodeFrame(7, Uint8Array.of(0x7b, 0xff, 0x7d));
    expect(reasonOf(notUtf8)).toBeUndefined();
    expect(decodeAll([notUtf8])).toEqual([{ kind: 'undecodable', seq: 7, body: '{\uFFFD}', crc: expect.any(Number) }]);
  });

  it('aborts a frame after an inter-byte gap over 100 ms, not at 100 ms', () => {
    const frame = encodeFrame(3, '{"x":true}');
    const slow = new FrameDecoder();
    slow.push(frame.subarray(0, 5), 0);
    expect(kinds(slow.push(frame.subarray(5), 101))).toEqual(['corrupt']);
    const ok = new FrameDecoder();
    ok.push(frame.subarray(0, 5), 0);
    expect(kinds(ok.push(frame.subarray(5), 100))).toEqual(['frame']);
    const idle = new FrameDecoder();
    idle.push(frame.subarray(0, 5), 0);
    expect(idle.deadline()).toBe(100);
    expect(idle.expire(100)).toEqual([]);
    expect(idle.expire(101)).toEqual([
      { kind: 'corrupt', reason: 'timeout' },
      { kind: 'garbage', bytes: 4 },
    ]);
    expect(idle.inFrame).toBe(false);
  });

  it('finds a frame that a truncated frame swallowed, with one corrupt event', () => {
    const truncated = encodeFrame(1, '{"long":"' + 'y'.repeat(100) + '"}').subarray(0, 30);
    const good = encodeFrame(2, '{"ok":1}');
    const events = decodeAll([truncated, good]);
    expect(kinds(events)).toEqual(['corrupt', 'frame']);
  });

  test.prop([fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 30 })])('survives any byte stream', (chunks) => {
    const dec = new FrameDecoder();
    let t = 0;
    for (const c of chunks) {
      for (const e of dec.push(c, (t += 7))) {
        if (e.kind === 'frame') expect(e.seq).toBeLessThan(256);
        if (e.kind === 'garbage') expect(e.bytes).toBeGreaterThan(0);
      }
    }
    dec.expire(t + 1000);
    expect(dec.inFrame).toBe(false);
  });

  test.prop([seq, fc.oneof(jsonBody, anyBody), fc.array(fc.nat(), { maxLength: 8 })])('round-trips any valid frame, however it is chunked', (s, body, cuts) => {
    const frame = encodeFrame(s, body);
    const events = decodeAll(splitAt(frame, cuts));
    expect(events).toEqual([{ kind: 'frame', seq: s, body, crc: frame[frame.length - 2]! | (frame[frame.length - 1]! << 8) }]);
  });

  test.prop([seq, jsonBody, fc.nat(), fc.integer({ min: 0, max: 7 })])('never yields a wrong frame from a single flipped bit', (s, body, at, bit) => {
    const frame = encodeFrame(s, body);
    const i = at % frame.length;
    const bad = frame.map((b, k) => (k === i ? b ^ (1 << bit) : b));
    const events = decodeAll([bad]);
    expect(frames(events)).toEqual([]);
    // A frame whose STX survived is reported corrupt (so it gets NAKed).
    if (bad[0] === STX) expect(events.some((e) => e.kind === 'corrupt')).toBe(true);
  });

  test.prop([fc.uint8Array({ maxLength: 80 }), seq, jsonBody])('finds a valid frame after garbage', (garbage, s, body) => {
    const frame = encodeFrame(s, body);
    const events = decodeAll([garbage, frame]);
    expect(frames(events).at(-1)).toMatchObject({ kind: 'frame', seq: s, body });
  });

  test.prop([fc.array(fc.tuple(seq, jsonBody), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 10 })])(
    'decodes back-to-back frames and control bytes in order',
    (list, cuts) => {
      const parts = list.flatMap(([s, b]) => [encodeFrame(s, b), Uint8Array.of(ACK)]);
      const stream = Buffer.concat(parts);
      const events = decodeAll(splitAt(stream, cuts));
      expect(events.filter((e) => e.kind === 'frame').map((e) => e.kind === 'frame' && e.body)).toEqual(list.map(([, b]) => b));
      expect(events.filter((e) => e.kind === 'ack')).toHaveLength(list.length);
      expect(events.some((e) => e.kind === 'garbage' || e.kind === 'corrupt')).toBe(false);
    },
  );

  it('keeps memory bounded under an endless stream of STX and hex', () => {
    const dec = new FrameDecoder();
    const junk = new TextEncoder().encode('\x0201' + '0400' + 'z'.repeat(2000));
    for (let i = 0; i < 50; i++) dec.push(junk, i);
    expect(dec.inFrame).toBe(false);
  });
});
