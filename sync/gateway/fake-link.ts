/**
 * In-process BrokerLink for unit tests (STYLE.md §1: the port's second implementation).
 * It behaves like a persistent session: publishes made while "down" wait and are sent when
 * the link comes back. Acknowledgement is automatic or driven by the test. With `hqAcks` on
 * (default) it also plays HQ: every event it PUBACKs is acknowledged end to end on the
 * gateway's ack topic, delivered to the handler (route it with ack-route.ts).
 */
import type { DeviceHealth } from '../../gateway/ports/health';
import { NoSubscribers, PublishRefused, type BrokerLink, type LinkState, type MessageHandler } from './broker-link';

export interface SentMessage {
  topic: string;
  payload: string;
  retain: boolean;
}

interface Pending extends SentMessage {
  resolve: () => void;
  reject: (e: Error) => void;
}

export interface FakeLink extends BrokerLink {
  /** Messages acknowledged, in acknowledgement order. */
  readonly acked: SentMessage[];
  /** Messages sent and not yet acknowledged. */
  readonly pending: readonly SentMessage[];
  /** Most publishes ever unacknowledged at once. */
  readonly maxPending: number;
  readonly subscriptions: string[];
  autoAck: boolean;
  /** Play HQ: acknowledge every event PUBACKed on its gateway's ack topic (default true). */
  hqAcks: boolean;
  /** Ack messages delivered as HQ. */
  readonly hqAckMessages: number;
  receiveMaximum: number | undefined;
  setState(s: LinkState): void;
  /** Acknowledges the oldest `n` pending publishes (default all). */
  ack(n?: number): void;
  /** Fails the oldest pending publish: 0x10 = no subscribers, another reason code = refused for good, none = transient. */
  fail(reasonCode?: number): void;
  /** Delivers an inbound message to the handler, as the broker would. */
  deliver(topic: string, payload: string | Buffer, retain?: boolean): Promise<void>;
}

export function createFakeLink(initial: LinkState = 'up'): FakeLink {
  let state = initial;
  let handler: MessageHandler | undefined;
  const listeners = new Set<(s: LinkState) => void>();
  const pending: Pending[] = [];
  const acked: SentMessage[] = [];
  let maxPending = 0;
  let hqAckMessages = 0;
  const subscriptions: string[] = [];

  const settle = () => {
    if (link.autoAck && state === 'up') queueMicrotask(() => link.ack());
  };

  const link: FakeLink = {
    acked,
    get pending() {
      return pending.map(({ topic, payload, retain }) => ({ topic, payload, retain }));
    },
    get maxPending() {
      return maxPending;
    },
    subscriptions,
    autoAck: true,
    hqAcks: true,
    get hqAckMessages() {
      return hqAckMessages;
    },
    receiveMaximum: undefined,
    get state() {
      return state;
    },
    get protocolVersion() {
      return state === 'up' ? 5 : undefined;
    },
    get serverReceiveMaximum() {
      return link.receiveMaximum;
    },
    publish(topic, payload, opts) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ topic, payload: payload.toString(), retain: opts?.retain ?? false, resolve, reject });
        maxPending = Math.max(maxPending, pending.length);
        settle();
      });
    },
    async subscribe(filters) {
      subscriptions.push(...filters);
    },
    setHandler(h) {
      handler = h;
    },
    onState(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    health(): DeviceHealth {
      return { name: 'fake-broker', kind: 'mqtt', state: state === 'stopped' ? 'stopped' : state };
    },
    async close() {
      link.setState('stopped');
    },
    setState(s) {
      state = s;
      for (const l of listeners) l(s);
      settle();
    },
    ack(n = pending.length) {
      const byAckTopic = new Map<string, string[]>();
      for (const p of pending.splice(0, n)) {
        acked.push({ topic: p.topic, payload: p.payload, retain: p.retain });
        p.resolve();
        const at = p.topic.indexOf('/evt/');
        if (link.hqAcks && at > 0) {
          const id = (JSON.parse(p.payload) as { id: string }).id;
          const topic = `${p.topic.slice(0, at)}/ack`;
          byAckTopic.set(topic, [...(byAckTopic.get(topic) ?? []), id]);
        }
      }
      for (const [topic, stored] of byAckTopic) {
        hqAckMessages++;
        // After the PUBACKs, as from HQ: a turn later.
        setImmediate(() => void link.deliver(topic, JSON.stringify({ v: 1, stored })));
      }
    },
    fail(reasonCode) {
      const p = pending.shift();
      if (!p) return;
      p.reject(
        reasonCode === 0x10
          ? new NoSubscribers(p.topic)
          : reasonCode
            ? new PublishRefused(reasonCode, `refused (${reasonCode})`)
            : new Error('connection closed'),
      );
    },
    async deliver(topic, payload, retain = false) {
      await handler?.({ topic, payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), retain });
    },
  };
  return link;
}
