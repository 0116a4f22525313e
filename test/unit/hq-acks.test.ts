/**
 * HQ's end-to-end acks (sync/hq/ack-sender.ts, ingest.ts): sent only after the commit, one
 * message per gateway per batch, copies acknowledged again, dead letters with a readable id
 * acknowledged as refused, nothing for a payload without one.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ulid } from 'ulid';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import { createGroupCommit, createIngestHandler } from '../../sync/hq/ingest';
import { createAckSender } from '../../sync/hq/ack-sender';
import type { HqStore, IngestedEvent } from '../../sync/hq/store';
import { eventTopic } from '../../sync/envelope/topics';
import { makeCloudEvent, storeSource } from '../../sync/envelope/cloudevent';
import { EventAck } from '../../sync/schemas/ack';
import { check } from '../../sync/schemas/check';

const a = { store: 'store-a', gateway: 'gw-1' };
const b = { store: 'store-b', gateway: 'gw-2' };
let store: HqStore;
beforeEach(async () => {
  store = openSqliteHqStore(':memory:');
  await store.migrate();
});
afterEach(async () => {
  await store.close();
});

const event = (to: typeof a, data: unknown, id = ulid()) => ({
  topic: eventTopic(to, 'trouw.sale.completed.v1'),
  payload: Buffer.from(JSON.stringify(makeCloudEvent({ id, source: storeSource(to), type: 'trouw.sale.completed.v1', time: new Date().toISOString(), data }))),
  retain: false,
});

function recorder() {
  const sent: { topic: string; ack: EventAck }[] = [];
  const acks = createAckSender({
    publish: async (topic, payload) => {
      const parsed = check(EventAck, JSON.parse(payload));
      if (!parsed.ok) throw new Error(`invalid ack ${payload}`);
      sent.push({ topic, ack: parsed.value });
    },
  });
  return { acks, sent };
}

describe('HQ end-to-end acks', () => {
  it('acknowledges only after the commit, one message per gateway per batch', async () => {
    const { acks, sent } = recorder();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow: HqStore = { ...store, insertEvents: async (batch: IngestedEvent[]) => (await gate, store.insertEvents(batch)) };
    const commit = createGroupCommit(slow, { target: 4 });
    const h = createIngestHandler({ store: slow, insert: commit.add, acks });
    const msgs = [event(a, { receipt: 'R1', pointsAwarded: 1 }), event(a, { receipt: 'R2', pointsAwarded: 1 }), event(b, { receipt: 'R3', pointsAwarded: 1 })];
    const handled = Promise.all(msgs.map((m) => h.handle(m)));
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual([]); // not committed yet: nothing acknowledged
    release();
    await handled;
    await acks.flush();
    expect(sent.map((s) => [s.topic, s.ack.stored.length]).sort()).toEqual([
      ['trouw/v1/store-a/gw-1/ack', 2],
      ['trouw/v1/store-b/gw-2/ack', 1],
    ]);
  });

  it('acknowledges a copy again; a dead letter with an id as refused; nothing without an id', async () => {
    const { acks, sent } = recorder();
    const h = createIngestHandler({ store, acks });
    const id = ulid();
    await h.handle(event(a, { receipt: 'R1', pointsAwarded: 1 }, id));
    await h.handle(event(a, { receipt: 'R1', pointsAwarded: 1 }, id)); // the gateway resent it
    const bad = ulid();
    await h.handle(event(a, { receipt: 'R2', pointsAwarded: 'ten' }, bad));
    await h.handle({ topic: eventTopic(a, 'trouw.sale.completed.v1'), payload: Buffer.from('{"id":'), retain: false });
    await acks.flush();
    const all = sent.flatMap((s) => s.ack.stored);
    expect(all).toEqual([id, id]);
    expect(sent.flatMap((s) => s.ack.refused ?? []).map((r) => [r.id, r.reason])).toEqual([[bad, 'bad-data']]);
    expect(acks.stats()).toMatchObject({ stored: 2, refused: 1, failed: 0 });
  });
});

describe('HQ ack pacing', () => {
  it('sends at once after a quiet spell, then at most one message per delayMs', async () => {
    vi.useFakeTimers();
    try {
      let now = 1000;
      const sent: string[][] = [];
      const acks = createAckSender({
        publish: async (_t, payload) => void sent.push((JSON.parse(payload) as EventAck).stored),
        delayMs: 25,
        monotonic: () => now,
      });
      acks.stored(a, 'e1');
      await vi.advanceTimersByTimeAsync(0); // nothing sent before: no wait
      expect(sent).toEqual([['e1']]);
      now += 5;
      acks.stored(a, 'e2');
      acks.stored(a, 'e3');
      await vi.advanceTimersByTimeAsync(0);
      expect(sent).toHaveLength(1); // 5 ms after the last send: waits for the rest of the 25 ms
      now += 20;
      await vi.advanceTimersByTimeAsync(20);
      expect(sent).toEqual([['e1'], ['e2', 'e3']]);
      now += 100;
      acks.stored(b, 'e4');
      await vi.advanceTimersByTimeAsync(0);
      expect(sent).toEqual([['e1'], ['e2', 'e3'], ['e4']]);
    } finally {
      vi.useRealTimers();
    }
  });
});
