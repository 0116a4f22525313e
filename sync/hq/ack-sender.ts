/**
 * Sends HQ's end-to-end acknowledgements (sync/schemas/ack.ts) for what this ingest process
 * has committed. Ids are collected per gateway as the commits resolve and sent together
 * `delayMs` (25 ms) after the first, or at once when a gateway has `maxIds` waiting. Group
 * commits under load hold ~8 events (one per connection), so acking each commit meant one
 * downlink message per 8 events (measured: 5,000 acks in 6 s for one gateway); waiting 25 ms
 * makes it one per gateway per 25 ms. The wait is counted from the previous send, not from
 * the first id: ids after a quiet spell (one sale) go out on the next timer turn, which cut
 * sale → ack at the gateway by the 0–25 ms this used to add; under load it is still at most
 * one message per `delayMs`. Only ids whose commit has resolved are ever added: an ack never
 * gets ahead of the data (the commit resolves a batch's ids together, before any timer).
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

export function createAckSender(o: {
  publish: (topic: string, payload: string) => Promise<void>;
  logger?: Logger;
  maxIds?: number;
  delayMs?: number;
  /** Monotonic ms (default performance.now). */
  monotonic?: () => number;
}): AckSender {
  const maxIds = Math.min(o.maxIds ?? MAX_ACK_IDS, MAX_ACK_IDS);
  const delayMs = o.delayMs ?? 25;
  const monotonic = o.monotonic ?? (() => performance.now());
  let lastSentAt = -Infinity;
  let pending = new Map<string, Pending>();
  let scheduled: NodeJS.Timeout | undefined;
  const inflight = new Set<Promise<void>>();
  const stats: AckSenderStats = { messages: 0, stored: 0, refused: 0, failed: 0 };

  function entry(to: GatewayAddress): Pending {
    const topic = ackTopic(to);
    let p = pending.get(topic);
    if (!p) pending.set(topic, (p = { to, stored: [], refused: [] }));
    if (!scheduled) scheduled = setTimeout(() => void flush(), Math.max(0, lastSentAt + delayMs - monotonic()));
    return p;
  }

  function added(p: Pending) {
    if (p.stored.length + p.refused.length >= maxIds) void flush();
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
    if (scheduled) clearTimeout(scheduled);
    scheduled = undefined;
    const batch = pending;
    pending = new Map();
    if (batch.size) lastSentAt = monotonic();
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
      const p = entry(to);
      p.stored.push(id);
      added(p);
    },
    refused(to, id, reason, detail) {
      const p = entry(to);
      p.refused.push({ id, reason, ...(detail ? { detail: detail.slice(0, 500) } : {}) });
      added(p);
    },
    flush,
    stats: () => ({ ...stats }),
  };
}
