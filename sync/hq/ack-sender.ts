/**
 * Sends HQ's end-to-end acknowledgements (sync/schemas/ack.ts) for what this ingest process
 * has committed. Ids are collected per gateway as the commits resolve and sent together one
 * turn of the event loop later, so a group commit of 500 events from one gateway is one ack
 * message, not 500. Only ids whose commit has resolved are ever added: an ack never gets ahead
 * of the data.
 *
 * Publishing is best effort: an ack lost (broker restart, ingest crash between commit and
 * ack) only means the gateway resends those events after its timeout, HQ finds them already
 * stored and acknowledges them again.
 */
import type { Logger } from 'pino';
import { ackTopic, type GatewayAddress } from '../envelope/topics';
import { MAX_ACK_IDS, type EventAck } from '../schemas/ack';

export interface AckSenderStats {
  /** Ack messages published (PUBACK received). */
  messages: number;
  /** Ids acknowledged as stored. */
  stored: number;
  /** Ids acknowledged as refused (dead letters). */
  refused: number;
  /** Ack messages whose publish failed (the gateway will resend those events). */
  failed: number;
}

export interface AckSender {
  stored(to: GatewayAddress, id: string): void;
  refused(to: GatewayAddress, id: string, reason: string, detail?: string): void;
  /** Sends what is pending now (stop, tests). */
  flush(): Promise<void>;
  stats(): AckSenderStats;
}

type Pending = { to: GatewayAddress; stored: string[]; refused: NonNullable<EventAck['refused']> };

export function createAckSender(o: { publish: (topic: string, payload: string) => Promise<void>; logger?: Logger; maxIds?: number }): AckSender {
  const maxIds = Math.min(o.maxIds ?? MAX_ACK_IDS, MAX_ACK_IDS);
  let pending = new Map<string, Pending>();
  let scheduled: NodeJS.Immediate | undefined;
  const inflight = new Set<Promise<void>>();
  const stats: AckSenderStats = { messages: 0, stored: 0, refused: 0, failed: 0 };

  function entry(to: GatewayAddress): Pending {
    const topic = ackTopic(to);
    let p = pending.get(topic);
    if (!p) pending.set(topic, (p = { to, stored: [], refused: [] }));
    if (!scheduled) scheduled = setImmediate(() => void flush());
    return p;
  }

  function send(topic: string, msg: EventAck) {
    const n = msg.stored.length;
    const r = msg.refused?.length ?? 0;
    const p = o.publish(topic, JSON.stringify(msg)).then(
      () => {
        stats.messages++;
        stats.stored += n;
        stats.refused += r;
      },
      (e: unknown) => {
        stats.failed++;
        o.logger?.debug({ topic, err: (e as Error)?.message }, 'hq: ack not published; the gateway will resend');
      },
    );
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }

  async function flush() {
    scheduled = undefined;
    const batch = pending;
    pending = new Map();
    for (const [topic, p] of batch) {
      for (let i = 0; i < Math.max(p.stored.length, p.refused.length); i += maxIds) {
        const refused = p.refused.slice(i, i + maxIds);
        send(topic, { v: 1, stored: p.stored.slice(i, i + maxIds), ...(refused.length ? { refused } : {}) });
      }
    }
    await Promise.all([...inflight]);
  }

  return {
    stored(to, id) {
      entry(to).stored.push(id);
    },
    refused(to, id, reason, detail) {
      entry(to).refused.push({ id, reason, ...(detail ? { detail: detail.slice(0, 500) } : {}) });
    },
    flush,
    stats: () => ({ ...stats }),
  };
}
