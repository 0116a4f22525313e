/**
 * HQ segments as offer audiences (issue 17): HQ's `set-segment` command tags exactly the
 * listed members in the store's offer facts, and an offer whose audience names the segment
 * reaches exactly them; republishing moves the tag. The HQ API publishes an RFM segment's
 * members (here to a recording publisher).
 */
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { createMembersService } from '../../gateway/app/members/members';
import { createOffersService } from '../../gateway/app/offers/offers-service';
import { createSyncCommands } from '../../gateway/app/sync/sync-commands';
import { OffersConfig } from '../../gateway/config/offers-schema';
import type { TriggerEvent } from '../../gateway/core/offers';
import type { CommandContext } from '../../sync/gateway/downlink';
import { check } from '../../sync/schemas/check';
import { SetSegmentArgs } from '../../sync/schemas/downlink';
import { openSqliteHqStore } from '../../sync/hq/store-sqlite';
import { buildHqApi } from '../../sync/hq/api';
import { ingestSimulation } from '../../sync/testing/insights-sim';
import { openTempDb, STORE, testClock } from './sqlite-helpers';

const NOON = Date.UTC(2024, 5, 15, 10, 0);
const entered = (m: string, at: number): TriggerEvent => ({ kind: 'zone-entered', member: m, visitId: `v-${m}-${at}`, zone: 'coffee', at });

describe('HQ segment → offer audience', () => {
  it('the offer reaches exactly the members HQ put in the segment', () => {
    const t = openTempDb();
    try {
      const clock = testClock(NOON);
      const ms = createMembersService({ db: t.db, clock });
      const all = ['M1', 'M2', 'M3', 'M4'];
      for (const n of all) ms.create({ number: n, name: `Member ${n}` });
      const config = Value.Default(OffersConfig, {
        definitions: [
          {
            id: 'loyal-coffee',
            perMember: 10,
            audience: { segments: ['hq-loyal'] },
            trigger: { kind: 'zone-entered', zone: 'coffee' },
            title: { nl: 'Koffie', en: 'Coffee' },
            reward: { kind: 'discount', cents: 100 },
          },
        ],
        caps: { minGapSeconds: 0 },
        members: all.map((number) => ({ number, consent: true })),
      }) as OffersConfig;
      const offers = createOffersService({ config, db: t.db, clock, timeZone: STORE.timeZone, timers: false });
      const cmds = createSyncCommands({ db: t.db, clock, timeZone: STORE.timeZone, expiryMonths: 12 });
      const ctx: CommandContext = { commandId: '01JSEGMENT000000000000000A', name: 'set-segment', now: NOON, db: t.db } as CommandContext;
      const sentTo = (at: number) =>
        offers
          .handle(
            all.map((m) => entered(m, at)),
            at,
          )
          .filter((d) => 'sent' in d)
          .map((d) => d.trigger.member);

      expect(sentTo(NOON)).toEqual([]); // nobody in the segment yet
      expect(cmds['set-segment']!({ segment: 'hq-loyal', members: ['M1', 'M3', 'M9'] }, ctx)).toMatchObject({
        ok: true,
        value: { tagged: 2, untagged: 0, skipped: 1 },
      });
      expect(sentTo(NOON + 60_000)).toEqual(['M1', 'M3']);
      // Republished: M3 left the segment, M2 joined.
      expect(cmds['set-segment']!({ segment: 'hq-loyal', members: ['M1', 'M2'] }, ctx)).toMatchObject({ ok: true, value: { tagged: 1, untagged: 1 } });
      expect(sentTo(NOON + 120_000)).toEqual(['M1', 'M2']);
    } finally {
      t.cleanup();
    }
  });

  it('segment names are hq- tags; other tags are refused before they reach a store', () => {
    expect(check(SetSegmentArgs, { segment: 'hq-champions', members: ['M-1'] }).ok).toBe(true);
    expect(check(SetSegmentArgs, { segment: 'vip', members: [] }).ok).toBe(false);
    expect(check(SetSegmentArgs, { segment: 'hq-x', members: ['bad number!'] }).ok).toBe(false);
  });

  it('the HQ API publishes an RFM segment with its members', async () => {
    const store = openSqliteHqStore(':memory:');
    await store.migrate();
    const start = Date.UTC(2025, 0, 1);
    await ingestSimulation(store, { seed: 3, stores: 1, members: 200, days: 30, startMs: start, joinSpread: 0 });
    const calls: { segment: string; members: string[] }[] = [];
    const api = await buildHqApi({
      store,
      clock: { now: () => start + 30 * 86_400_000, monotonic: () => 0 },
      publishSegment: async (segment, members) => (calls.push({ segment, members }), { stores: ['store-001'], members: members.length }),
    });
    const listed = (await api.inject({ url: '/v1/segments/loyal/members' })).json() as { members: string[] };
    expect(listed.members.length).toBeGreaterThan(0);
    const r = await api.inject({ method: 'POST', url: '/v1/segments/loyal/publish', payload: {} });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ audience: 'hq-loyal', stores: ['store-001'], members: listed.members.length });
    expect(calls).toEqual([{ segment: 'loyal', members: listed.members }]);
    expect((await api.inject({ method: 'POST', url: '/v1/segments/nonsense/publish', payload: {} })).statusCode).toBe(400);
    await api.close();
    await store.close();
  });
});
