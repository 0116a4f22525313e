import { describe, expect, it } from 'vitest';
import { ConnectedPosLink } from '../../gateway/adapters/pos/link-runner';
import { backoffDelay } from '../../gateway/adapters/backoff';
import { LinkEngine } from '../../gateway/adapters/pos/link-engine';
import { silentLogger } from '../../gateway/adapters/pos/link-types';
import { systemClock } from '../../gateway/ports/clock';
import { PipeConnector } from '../support/pipe-connector';
import { posLinkContract } from '../support/pos-link-contract';

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function pipeLink(opts: { reconnectMinMs?: number; reconnectMaxMs?: number } = {}) {
  const connector = new PipeConnector();
  const link = new ConnectedPosLink(connector, {
    lane: 'lane-7',
    logger: silentLogger,
    clock: systemClock,
    reconnectMinMs: 10,
    reconnectMaxMs: 40,
    ...opts,
  });
  return { connector, link };
}

posLinkContract('in-process pipe', async () => {
  const { connector, link } = pipeLink();
  return {
    link,
    transport: 'serial',
    openTill: async () => {
      await waitFor(() => connector.tillEnd !== null, 'the pipe');
      const end = connector.tillEnd!;
      return { stream: end, close: async () => end.destroy() };
    },
    teardown: () => link.stop(),
  };
});

describe('ConnectedPosLink', () => {
  it('reports a missing port as down, retries with back-off, and comes up by itself', async () => {
    const { connector, link } = pipeLink();
    connector.failWith = 'cannot open /dev/ttyUSB9: No such file or directory';
    expect(link.health().state).toBe('stopped');
    link.start(async () => '{}');
    await waitFor(() => connector.connects >= 3, 'retries');
    expect(link.health()).toMatchObject({ state: 'down', lastError: connector.failWith });
    connector.failWith = null;
    await waitFor(() => link.health().state === 'up', 'up');
    expect(link.health().lastError).toBeUndefined();
    await link.stop();
  });

  it('goes down on unplug, reconnects, and keeps counters and SEQ across connections', async () => {
    const { connector, link } = pipeLink();
    link.start(async () => '{"ok":true}');
    await waitFor(() => connector.tillEnd !== null, 'first pipe');
    const first = connector.tillEnd!;
    const till1 = new LinkEngine(first);
    await till1.request('{"id":"1"}');
    const seqs: number[] = [];
    first.destroy();
    await waitFor(() => link.health().state === 'down', 'down');
    expect(link.health().lastError).toBe('pipe closed');
    await waitFor(() => link.health().state === 'up' && connector.tillEnd !== first, 'up again');
    const second = connector.tillEnd!;
    second.on('data', (c: Uint8Array) => c[0] === 0x02 && seqs.push(parseInt(Buffer.from(c.subarray(1, 3)).toString(), 16)));
    const till2 = new LinkEngine(second, { firstSeq: 1 });
    await till2.request('{"id":"2"}');
    expect(seqs).toEqual([1]); // the gateway's second answer: SEQ 01, not 00 again
    expect(link.health().counters).toMatchObject({ framesIn: 2, framesOut: 2 });
    await link.stop();
    till2.close();
  });
});

describe('backoffDelay', () => {
  it('doubles from min to max, with up to half of it random', () => {
    const lo = { minMs: 500, maxMs: 10_000, random: () => 0 };
    const hi = { ...lo, random: () => 0.999999 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, hi))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect([1, 2, 6].map((n) => backoffDelay(n, lo))).toEqual([250, 500, 5000]);
    expect(backoffDelay(1000, hi)).toBe(10_000);
  });
});
