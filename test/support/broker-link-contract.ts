/**
 * The BrokerLink contract (sync/gateway/broker-link.ts), written once and run against every
 * implementation (STYLE.md §2): the in-process fake (unit) and mqtt.js against a real
 * mosquitto (integration). The harness plays the broker's other side: a peer that receives
 * what the link publishes and publishes to the link, and a way to take the link's connection
 * away and give it back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerLink, InboundMessage, LinkState } from '../../sync/gateway/broker-link';
import { waitFor as pollUntil } from './wait-for';

export interface BrokerLinkHarness {
  link: BrokerLink;
  /** A topic the link may publish on and the peer receives (QoS 1). */
  outTopic: string;
  /** A topic the peer may publish on and the link may subscribe to. */
  inTopic: string;
  /** Messages the peer has received on `outTopic`, in order. */
  received(): Array<{ topic: string; payload: string }>;
  /** The peer publishes at QoS 1 (the broker delivers to the link). */
  peerPublish(topic: string, payload: string): Promise<void>;
  /** The link loses its broker; resolves once the link says so. */
  takeDown(): Promise<void>;
  /** The broker is back; the link reconnects on its own. */
  bringBack(): Promise<void>;
  teardown(): Promise<void>;
}

export const waitFor = (cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => pollUntil(cond, what, timeoutMs, 10);

export function brokerLinkContract(name: string, setup: () => Promise<BrokerLinkHarness>): void {
  describe(`BrokerLink contract: ${name}`, () => {
    let h: BrokerLinkHarness | undefined;
    afterEach(async () => {
      await h?.teardown();
      h = undefined;
    });
    const up = async () => {
      h = await setup();
      await waitFor(() => h!.link.state === 'up', 'link up');
      return h;
    };

    it('publish is acknowledged (resolves) and the message reaches a subscriber; health names the link', async () => {
      const x = await up();
      await x.link.publish(x.outTopic, 'one');
      await x.link.publish(x.outTopic, Buffer.from('two'));
      await waitFor(() => x.received().length >= 2, 'peer receives both');
      expect(x.received()).toEqual([
        { topic: x.outTopic, payload: 'one' },
        { topic: x.outTopic, payload: 'two' },
      ]);
      expect(x.link.protocolVersion === 5 || x.link.protocolVersion === 4).toBe(true);
      expect(x.link.health()).toMatchObject({ kind: 'mqtt', state: 'up' });
    });

    it('a publish made while the link is down waits, and is sent and settled when the link is back', async () => {
      const x = await up();
      const states: LinkState[] = [];
      const off = x.link.onState((s) => states.push(s));
      await x.takeDown();
      expect(x.link.state).not.toBe('up');
      let settled = false;
      const p = x.link.publish(x.outTopic, 'while-down').then(() => (settled = true));
      // The link has seen the loss (state) and holds the message: not settled, not received.
      await new Promise((r) => setTimeout(r, 50));
      expect(settled).toBe(false);
      expect(x.received()).toEqual([]);
      await x.bringBack();
      await p;
      await waitFor(() => x.received().length === 1, 'peer receives the held message');
      expect(x.received()[0]).toEqual({ topic: x.outTopic, payload: 'while-down' });
      expect(states[0]).not.toBe('up');
      expect(states.at(-1)).toBe('up');
      off();
    });

    it('inbound messages go to the one handler one at a time, in order', async () => {
      const x = await up();
      const seen: string[] = [];
      let inHandler = 0;
      let overlapped = false;
      x.link.setHandler(async (m: InboundMessage) => {
        if (inHandler++ > 0) overlapped = true;
        await new Promise((r) => setTimeout(r, 20));
        seen.push(`${m.topic} ${m.payload.toString()}`);
        inHandler--;
      });
      await x.link.subscribe([x.inTopic]);
      await Promise.all(['a', 'b', 'c', 'd'].map((p) => x.peerPublish(x.inTopic, p)));
      await waitFor(() => seen.length === 4, 'four messages handled');
      expect(seen).toEqual(['a', 'b', 'c', 'd'].map((p) => `${x.inTopic} ${p}`));
      expect(overlapped).toBe(false);
    });

    it('a message whose handler throws is not acknowledged: it comes again', async () => {
      const x = await up();
      const calls: string[] = [];
      x.link.setHandler(async (m) => {
        calls.push(m.payload.toString());
        if (calls.length === 1) throw new Error('storage down');
      });
      await x.link.subscribe([x.inTopic]);
      await x.peerPublish(x.inTopic, 'keep-me');
      await waitFor(() => calls.length >= 2, 'redelivery', 20_000);
      expect(calls.slice(0, 2)).toEqual(['keep-me', 'keep-me']);
      await waitFor(() => x.link.state === 'up', 'link up again');
    });

    it('close() leaves the link stopped', async () => {
      const x = await up();
      await x.link.close();
      expect(x.link.state).toBe('stopped');
    });
  });
}
