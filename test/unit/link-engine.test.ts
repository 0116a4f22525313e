import { afterEach, describe, expect, it } from 'vitest';
import { ACK, ENQ, FrameDecoder, NAK, STX, encodeFrame, type FrameEvent } from '../../gateway/core/till/frame';
import { LinkEngine, type LinkEngineOptions } from '../../gateway/adapters/pos/link-engine';
import { LinkError, silentLogger } from '../../gateway/adapters/pos/link-types';
import { splitMessage } from '../../gateway/core/till/message-parts';
import { duplexPair, type PipeEnd } from '../support/duplex-pair';

// Short timers where a test waits for one to run out; nothing here asserts on durations, and
// the ACK timeout stays long unless a test needs it to expire (a busy machine must not
// turn a slow ACK into a retry the test did not expect).
const FAST: LinkEngineOptions = { ackTimeoutMs: 1000, interByteGapMs: 20, replyTimeoutMs: 2000 };
const SHORT_ACK: LinkEngineOptions = { ackTimeoutMs: 40 };
const engines: LinkEngine[] = [];

function engine(end: PipeEnd, opts: LinkEngineOptions = {}): LinkEngine {
  const e = new LinkEngine(end, { ...FAST, ...opts });
  engines.push(e);
  return e;
}

afterEach(() => {
  for (const e of engines.splice(0)) e.close();
});

async function waitFor(cond: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Echo responder that records every body it handles. */
function echo(calls: string[]) {
  return async (body: string) => {
    calls.push(body);
    return JSON.stringify({ re: JSON.parse(body) as unknown });
  };
}

/** A raw peer: decodes what the engine sends, and ACKs its frames. */
function rawPeer(end: PipeEnd, opts: { ackFrames?: boolean } = {}) {
  const dec = new FrameDecoder();
  const events: FrameEvent[] = [];
  end.on('data', (chunk: Uint8Array) => {
    for (const e of dec.push(chunk, 0)) {
      events.push(e);
      if (e.kind === 'frame' && opts.ackFrames !== false) end.write(Uint8Array.of(ACK));
    }
  });
  return {
    events,
    frames: () => events.flatMap((e) => (e.kind === 'frame' ? [e.body] : [])),
    count: (kind: FrameEvent['kind']) => events.filter((e) => e.kind === kind).length,
  };
}

/** Tap that flips one bit in the n-th frame written (counting chunks that start with STX). */
function corruptFrames(which: number[]) {
  let n = 0;
  return (chunk: Uint8Array) => {
    if (chunk[0] === STX && which.includes(n++)) chunk[chunk.length - 1] = chunk.at(-1)! ^ 0x10;
    return chunk;
  };
}

describe('LinkEngine', () => {
  it('carries a 250-line request in part frames, whole to the handler; the reply timer starts at the last part (issue 14)', async () => {
    const [tillEnd, gwEnd] = duplexPair();
    const till = engine(tillEnd);
    const gw = engine(gwEnd);
    const calls: string[] = [];
    gw.serve(echo(calls));
    const lines = Array.from({ length: 250 }, (_, i) => ({ sku: `sku-${i}`, category: 'dairy', qty: 1, amountCents: 100 + i }));
    const body = JSON.stringify({ v: 1, id: 'S-250', type: 'sale', lines });
    const parts = splitMessage(body).length;
    let gwFramesAtLast = -1;
    const reply = await till.request(body, { onLastFrame: () => void (gwFramesAtLast = gw.counters.framesIn) });
    expect(calls).toEqual([body]);
    expect(parts).toBeGreaterThan(15);
    expect(till.counters.framesOut).toBe(parts);
    expect(gwFramesAtLast).toBe(parts - 1);
    // The answer (longer than a frame: it echoes the request) comes back in parts: the till sent parts.
    expect(JSON.parse(reply)).toEqual({ re: JSON.parse(body) });
    expect(gw.counters.framesOut).toBeGreaterThan(15);
    expect(gw.peerSpeaksParts).toBe(true);
  });

  it('never sends a part frame to a till that has sent none (an old till)', async () => {
    const [tillEnd, gwEnd] = duplexPair();
    const gw = engine(gwEnd);
    gw.serve(async () => JSON.stringify({ big: 'x'.repeat(3000) }));
    const till = rawPeer(tillEnd);
    tillEnd.write(encodeFrame(1, '{"v":1,"id":"P1","type":"ping"}'));
    await waitFor(() => till.count('ack') === 1, 'the ACK');
    await new Promise((r) => setTimeout(r, 50));
    expect(till.frames().filter((f) => f.charCodeAt(0) === 0x1e)).toEqual([]);
    expect(gw.peerSpeaksParts).toBe(false);
  });

  it('answers a good frame whose body is not UTF-8 as an application error, not with a NAK (issue 14)', async () => {
    const [tillEnd, gwEnd] = duplexPair();
    const gw = engine(gwEnd);
    const calls: string[] = [];
    gw.serve(echo(calls));
    const till = rawPeer(tillEnd);
    const bad = new Uint8Array([...new TextEncoder().encode('{"v":1,"id":"S-77","type":"sale","receipt":"R'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
    tillEnd.write(encodeFrame(4, bad));
    await waitFor(() => till.frames().length === 1, 'the answer');
    expect(JSON.parse(till.frames()[0]!)).toEqual({ v: 1, id: 'S-77', type: 'error', code: 'bad-encoding', message: 'the frame body is not valid UTF-8' });
    expect(till.count('ack')).toBe(1);
    expect(till.count('nak')).toBe(0);
    expect(calls).toEqual([]);
    expect(gw.counters.naksSent).toBe(0);
  });

  it('carries a request and its reply, and counts both ways', async () => {
    const [tillEnd, gwEnd] = duplexPair();
    const till = engine(tillEnd);
    const gw = engine(gwEnd);
    const calls: string[] = [];
    gw.serve(echo(calls));
    expect(JSON.parse(await till.request('{"n":1}'))).toEqual({ re: { n: 1 } });
    expect(JSON.parse(await till.request('{"n":2}'))).toEqual({ re: { n: 2 } });
    expect(calls).toEqual(['{"n":1}', '{"n":2}']);
    expect(till.counters).toMatchObject({ framesOut: 2, framesIn: 2, retries: 0, naksReceived: 0 });
    expect(gw.counters).toMatchObject({ framesOut: 2, framesIn: 2, duplicates: 0, naksSent: 0 });
    await waitFor(() => gw.idle, 'the gateway to see its answers ACKed');
  });

  it('resends after a NAK, and the handler runs once', async () => {
    const [tillEnd, gwEnd] = duplexPair();
    tillEnd.tap = corruptFrames([0]);
    const till = engine(tillEnd);
    const gw = engine(gwEnd);
    const calls: string[] = [];
    gw.serve(echo(calls));
    expect(JSON.parse(await till.request('{"n":1}'))).toEqual({ re: { n: 1 } });
    expect(calls).toHaveLength(1);
    expect(gw.counters.naksSent).toBe(1);
    expect(till.counters).toMatchObject({ naksReceived: 1, retries: 1 });
  });

  it('resends a request whose ACK was lost, and the repeat is ACKed but not handled again', async () => {
    const [tillEnd, gwEnd] = duplexPair();
    let acksDropped = 0;
    gwEnd.tap = (chunk) => (chunk.length === 1 && chunk[0] === ACK && acksDropped++ === 0 ? null : chunk);
    const till = engine(tillEnd, SHORT_ACK);
    const gw = engine(gwEnd);
    const calls: string[] = [];
    // Answer only once the till's resend has arrived, so the reply cannot stand in for the ACK.
    gw.serve(async (body) => {
      calls.push(body);
      await waitFor(() => gw.counters.duplicates > 0, 'the resent request');
      return '{"ok":true}';
    });
    expect(await till.request('{"n":1}')).toBe('{"ok":true}');
    expect(calls).toEqual(['{"n":1}']);
    expect(till.counters.retries).toBeGreaterThanOrEqual(1);
    expect(gw.counters.duplicates).toBeGreaterThanOrEqual(1);
  });

  it('resends an answer whose ACK was lost; the till drops the repeat', async () => {
    const [tillEnd, gwEnd] = duplexPair();
    let dropped = false;
    tillEnd.tap = (chunk) => {
      // The till's first ACK after its request went out is the ACK of the answer.
      if (chunk.length === 1 && chunk[0] === ACK && !dropped) {
        dropped = true;
        return null;
      }
      return chunk;
    };
    const late: string[] = [];
    const till = engine(tillEnd, { onLateReply: (b) => late.push(b) });
    const gw = engine(gwEnd, SHORT_ACK);
    gw.serve(async () => '{"ok":1}');
    expect(await till.request('{"n":1}')).toBe('{"ok":1}');
    await waitFor(() => gw.idle, 'the answer to be ACKed');
    expect(gw.counters.retries).toBeGreaterThanOrEqual(1);
    await waitFor(() => till.counters.duplicates === gw.counters.retries, 'every resent answer to arrive');
    expect(late).toEqual([]);
  });

  it('ACKs a repeated SEQ with the same CRC without handling it again', async () => {
    const [rawEnd, gwEnd] = duplexPair();
    const peer = rawPeer(rawEnd);
    const gw = engine(gwEnd);
    const calls: string[] = [];
    gw.serve(echo(calls));
    const frame = encodeFrame(5, '{"n":5}');
    rawEnd.write(frame);
    rawEnd.write(frame);
    await waitFor(() => peer.frames().length === 1 && gw.idle, 'the answer');
    await waitFor(() => peer.count('ack') === 2, 'two ACKs');
    expect(calls).toEqual(['{"n":5}']);
    expect(gw.counters).toMatchObject({ framesIn: 1, duplicates: 1 });
    // Same SEQ, other content: a new frame.
    rawEnd.write(encodeFrame(5, '{"n":6}'));
    await waitFor(() => calls.length === 2, 'the second request');
  });

  it('answers ENQ with ACK, and probe() sees it', async () => {
    const [rawEnd, gwEnd] = duplexPair();
    const peer = rawPeer(rawEnd);
    engine(gwEnd);
    rawEnd.write(Uint8Array.of(ENQ));
    await waitFor(() => peer.count('ack') === 1, 'ACK');
    const [aEnd, bEnd] = duplexPair();
    const a = engine(aEnd);
    engine(bEnd);
    expect(await a.probe()).toBe(true);
  });

  it('handles queued requests one at a time, in order of arrival', async () => {
    const [rawEnd, gwEnd] = duplexPair();
    const peer = rawPeer(rawEnd);
    const gw = engine(gwEnd);
    let active = 0;
    let maxActive = 0;
    const order: number[] = [];
    gw.serve(async (body) => {
      const { n } = JSON.parse(body) as { n: number };
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 10));
      order.push(n);
      active--;
      return JSON.stringify({ n });
    });
    rawEnd.write(Buffer.concat([encodeFrame(0, '{"n":0}'), encodeFrame(1, '{"n":1}'), encodeFrame(2, '{"n":2}')]));
    await waitFor(() => peer.frames().length === 3, 'three answers');
    expect(order).toEqual([0, 1, 2]);
    expect(maxActive).toBe(1);
    expect(peer.frames()).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);
  });

  it('sends one NAK for garbage that hides a good frame only if no good frame follows', async () => {
    const [rawEnd, gwEnd] = duplexPair();
    const peer = rawPeer(rawEnd);
    const gw = engine(gwEnd);
    const calls: string[] = [];
    gw.serve(echo(calls));
    // A stray STX in the garbage starts a false frame that swallows the real one's start.
    rawEnd.write(Buffer.concat([Buffer.from([0x41, STX, 0x31]), encodeFrame(9, '{"n":9}')]));
    await waitFor(() => peer.frames().length === 1, 'the answer');
    expect(gw.counters.naksSent).toBe(0);
    expect(peer.count('nak')).toBe(0);
    expect(gw.counters.garbageBytes).toBeGreaterThan(0);
    // A truncated frame on its own is NAKed once its inter-byte gap runs out.
    rawEnd.write(encodeFrame(10, '{"n":10}').subarray(0, 6));
    await waitFor(() => peer.count('nak') === 1, 'a NAK');
    expect(gw.counters.naksSent).toBe(1);
  });

  it('sends a pending NAK within nakWithinMs even while a re-scanned candidate is still open', async () => {
    // Manual time: the engine takes its clock and timers from the caller.
    let now = 0;
    let due: Array<{ at: number; fn: () => void; id: number }> = [];
    let ids = 0;
    const timers = {
      setTimeout: (fn: () => void, ms: number) => (due.push({ at: now + ms, fn, id: ++ids }), ids),
      clearTimeout: (id: unknown) => void (due = due.filter((d) => d.id !== id)),
    };
    const advance = (ms: number) => {
      now += ms;
      const ready = due.filter((d) => d.at <= now);
      due = due.filter((d) => d.at > now);
      ready.forEach((d) => d.fn());
    };
    const [rawEnd, gwEnd] = duplexPair();
    const peer = rawPeer(rawEnd);
    engine(gwEnd, { clock: { monotonic: () => now }, timers, interByteGapMs: 1000, nakWithinMs: 20 });
    // A false STX, then a second STX that opens a candidate which never completes.
    rawEnd.write(Uint8Array.of(STX, 0x31, STX, 0x30));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(peer.count('nak')).toBe(0);
    advance(10);
    await new Promise((r) => setImmediate(r));
    expect(peer.count('nak')).toBe(0);
    advance(15);
    await waitFor(() => peer.count('nak') === 1, 'the NAK');
  });

  it('gives up with codes the caller can test', async () => {
    const [tillEnd, gwEnd] = duplexPair();
    rawPeer(gwEnd, { ackFrames: false });
    const till = engine(tillEnd, { ...SHORT_ACK, maxRetries: 2 });
    await expect(till.request('{}')).rejects.toMatchObject({ code: 'ack-timeout' });
    expect(till.counters.retries).toBe(2);

    const [t2, g2] = duplexPair();
    g2.on('data', () => g2.write(Uint8Array.of(NAK)));
    const nakked = engine(t2, { maxRetries: 1 });
    await expect(nakked.request('{}')).rejects.toBeInstanceOf(LinkError);

    const [t3, g3] = duplexPair();
    rawPeer(g3); // ACKs but never answers
    await expect(engine(t3, SHORT_ACK).request('{}', { timeoutMs: 100 })).rejects.toMatchObject({ code: 'timeout' });

    const [t4, g4] = duplexPair();
    const closing = engine(t4).request('{}');
    g4.destroy();
    await expect(closing).rejects.toMatchObject({ code: 'closed' });
  });

  it('passes a reply that the request does not accept to onLateReply and keeps waiting', async () => {
    const [tillEnd, rawEnd] = duplexPair();
    const late: string[] = [];
    const till = engine(tillEnd, { onLateReply: (b) => late.push(b) });
    rawEnd.on('data', (chunk: Uint8Array) => {
      if (chunk[0] !== STX) return;
      rawEnd.write(Uint8Array.of(ACK));
      rawEnd.write(encodeFrame(0, '{"id":"old"}'));
      rawEnd.write(encodeFrame(1, '{"id":"new"}'));
    });
    const reply = await till.request('{"id":"new"}', { accept: (b) => b.includes('"new"') });
    expect(reply).toBe('{"id":"new"}');
    expect(late).toEqual(['{"id":"old"}']);
  });

  it('stop() answers the request in hand and takes no new ones', async () => {
    const [rawEnd, gwEnd] = duplexPair();
    const peer = rawPeer(rawEnd);
    const refused: number[] = [];
    const gw = engine(gwEnd, { logger: { ...silentLogger, warn: (o, msg) => msg === 'till frame not taken' && refused.push((o as { seq: number }).seq) } });
    let release!: () => void;
    const calls: string[] = [];
    gw.serve(async (body) => {
      calls.push(body);
      await new Promise<void>((r) => (release = r));
      return '{"done":true}';
    });
    rawEnd.write(encodeFrame(0, '{"n":0}'));
    await waitFor(() => calls.length === 1, 'the handler');
    const stopped = gw.stop(2000);
    rawEnd.write(encodeFrame(1, '{"n":1}'));
    // The engine read the frame and turned it away (rather than: it had not arrived yet).
    await waitFor(() => refused.length === 1, 'the second frame refused');
    expect(refused).toEqual([1]);
    release();
    await stopped;
    expect(peer.frames()).toEqual(['{"done":true}']);
    expect(calls).toEqual(['{"n":0}']);
    expect(peer.count('ack')).toBe(1);
    expect(gw.isClosed).toBe(true);
  });

  it('keeps SEQ going across engines when told where to start', async () => {
    const [rawEnd, gwEnd] = duplexPair();
    const peer = rawPeer(rawEnd);
    const seqs: number[] = [];
    rawEnd.on('data', (chunk: Uint8Array) => {
      if (chunk[0] === STX) seqs.push(parseInt(Buffer.from(chunk.subarray(1, 3)).toString(), 16));
    });
    const first = engine(gwEnd, { firstSeq: 255 });
    first.serve(async () => '{}');
    rawEnd.write(encodeFrame(0, '{"a":1}'));
    await waitFor(() => peer.frames().length === 1 && first.idle, 'first answer');
    expect(first.nextSeq).toBe(0);
    expect(seqs).toEqual([255]);
  });
});
