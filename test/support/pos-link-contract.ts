/**
 * The PosLink contract (gateway/ports/pos-link.ts), written once and run against every
 * implementation (STYLE.md §2): in-process pipes (unit), serial over socat and TCP
 * (integration). The till end is a bare LinkEngine requester.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LinkEngine } from '../../gateway/adapters/pos/link-engine';
import type { ByteStream } from '../../gateway/adapters/pos/link-types';
import type { PosLink, TillBodyHandler } from '../../gateway/ports/pos-link';
import { waitFor as pollUntil } from './wait-for';

export interface TillEnd {
  stream: ByteStream;
  close(): Promise<void>;
}

export interface ContractHarness {
  link: PosLink;
  transport: 'serial' | 'tcp';
  /** Open the till's end of the line (call after the link is started). */
  openTill(): Promise<TillEnd>;
  teardown(): Promise<void>;
}

const waitFor = (cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> => pollUntil(cond, what, timeoutMs, 10);

export function posLinkContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`PosLink contract: ${name}`, () => {
    let h: ContractHarness;
    const closers: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const c of closers.splice(0).reverse()) await c();
      await h.teardown();
    });

    async function started(handler: TillBodyHandler) {
      h = await setup();
      h.link.start(handler);
      const end = await h.openTill();
      const till = new LinkEngine(end.stream, { replyTimeoutMs: 3000 });
      closers.push(
        () => end.close(),
        () => till.close(),
      );
      await waitFor(() => h.link.health().state === 'up', 'link up');
      return till;
    }

    it('comes up, passes each body to the handler with its lane, and sends the answer back', async () => {
      const seen: Array<{ body: string; lane: string }> = [];
      const till = await started(async (body, ctx) => {
        seen.push({ body, lane: ctx.lane });
        return JSON.stringify({ v: 1, id: 'r1', type: 'ping.ok' });
      });
      expect(await till.request('{"v":1,"id":"r1","type":"ping"}')).toBe('{"v":1,"id":"r1","type":"ping.ok"}');
      expect(seen).toEqual([{ body: '{"v":1,"id":"r1","type":"ping"}', lane: h.link.lane }]);
      const health = h.link.health();
      expect(health).toMatchObject({ lane: h.link.lane, transport: h.transport, state: 'up' });
      expect(health.endpoint).toBeTruthy();
      expect(health.counters).toMatchObject({ framesIn: 1, framesOut: 1 });
    });

    it('answers `internal` when the handler throws or its answer does not fit a frame', async () => {
      let calls = 0;
      const till = await started(async () => {
        if (calls++ === 0) throw new Error('disk on fire');
        return 'x'.repeat(2000);
      });
      for (const id of ['a1', 'a2']) {
        const answer = JSON.parse(await till.request(JSON.stringify({ v: 1, id, type: 'ping' }))) as Record<string, unknown>;
        expect(answer).toMatchObject({ v: 1, id, type: 'error', code: 'internal' });
      }
    });

    it('stop() answers the request in hand, then closes; it is idempotent', async () => {
      let release!: () => void;
      let inHandler = false;
      const till = await started(async () => {
        inHandler = true;
        await new Promise<void>((r) => (release = r));
        return '{"done":true}';
      });
      const answer = till.request('{"v":1,"id":"s1","type":"sale"}');
      await waitFor(() => inHandler, 'the handler');
      const stopping = h.link.stop();
      release();
      expect(await answer).toBe('{"done":true}');
      await Promise.all([stopping, h.link.stop()]);
      expect(h.link.health().state).toBe('stopped');
    });
  });
}
