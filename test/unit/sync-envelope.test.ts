import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { commandTopic, configTopic, eventTopic, parseTopic, sharedFilter, ALL_EVENTS_FILTER, statusTopic } from '../../sync/envelope/topics';
import { makeCloudEvent, parseStoreSource, storeSource } from '../../sync/envelope/cloudevent';
import { validateUplinkEvent } from '../../sync/schemas/validate-event';
import { buildCatalogue, eventDefinition, eventTypes } from '../../sync/schemas/catalogue';
import { defineEvent } from '../../sync/schemas/define-event';
import { SaleCompleted } from '../../sync/schemas/till-events';
import { check } from '../../sync/schemas/check';
import { AdjustPointsArgs, parseStoreConfig } from '../../sync/schemas/downlink';
import { Type } from '@sinclair/typebox';

const a = { store: 'store-a', gateway: 'gw-1' };
const ID = '01J9Z3K8Q2ABCDEFGHJKMNPQRS';

function sale(over: Record<string, unknown> = {}, data: Record<string, unknown> = { receipt: 'R1', pointsAwarded: 12, member: 'M-1' }) {
  return JSON.stringify({
    ...makeCloudEvent({ id: ID, source: storeSource(a), type: 'trouw.sale.completed.v1', time: '2025-01-02T03:04:05.678Z', data }),
    ...over,
  });
}
const saleTopic = eventTopic(a, 'trouw.sale.completed.v1');

describe('topics', () => {
  it('builds the DESIGN §8 layout', () => {
    expect(saleTopic).toBe('trouw/v1/store-a/gw-1/evt/trouw.sale.completed.v1');
    expect(statusTopic(a)).toBe('trouw/v1/store-a/gw-1/status');
    expect(configTopic(a)).toBe('trouw/v1/store-a/gw-1/cfg');
    expect(commandTopic(a, 'erase-member')).toBe('trouw/v1/store-a/gw-1/cmd/erase-member');
    expect(sharedFilter('hq', ALL_EVENTS_FILTER)).toBe('$share/hq/trouw/v1/+/+/evt/#');
  });

  it('refuses ids that would escape a store subtree', () => {
    for (const bad of ['+', '#', 'a/b', '', 'Store', '-x']) {
      expect(() => eventTopic({ store: bad, gateway: 'gw' }, 'trouw.sale.completed.v1')).toThrow(TypeError);
    }
    expect(() => eventTopic(a, 'sale')).toThrow(TypeError);
    expect(() => commandTopic(a, 'rm/rf')).toThrow(TypeError);
  });

  it('parses what it builds and nothing outside the layout', () => {
    expect(parseTopic(saleTopic)).toEqual({ kind: 'evt', ...a, type: 'trouw.sale.completed.v1' });
    expect(parseTopic('trouw/v1/store-a/gw-1/cmd/adjust-points')).toEqual({ kind: 'cmd', ...a, name: 'adjust-points' });
    for (const t of ['trouw/v2/s/g/cfg', 'trouw/v1/s/g/evt', 'trouw/v1/s/g/cfg/x', 'trouw/v1/+/g/cfg', 'x/v1/s/g/status', 'trouw/v1/s/g/evt/not-a-type']) {
      expect(parseTopic(t)).toBeUndefined();
    }
  });

  const seg = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,20}$/);
  const type = fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.integer({ min: 1, max: 99 }))
    .map(([n, v, k]) => `trouw.${n}.${v}.v${k}`);
  test.prop([seg, seg, type])('event topics round-trip', (store, gateway, t) => {
    expect(parseTopic(eventTopic({ store, gateway }, t))).toEqual({ kind: 'evt', store, gateway, type: t });
    expect(parseStoreSource(storeSource({ store, gateway }))).toEqual({ store, gateway });
  });
});

describe('uplink event validation', () => {
  it('accepts a well-formed event and names its definition', () => {
    const r = validateUplinkEvent(saleTopic, sale());
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.definition.pointsDelta?.(r.value.event.data as never)).toBe(12);
  });

  it.each([
    ['oversized', saleTopic, 'x'.repeat(300_000)],
    ['malformed-json', saleTopic, '{"specversion":'],
    ['bad-topic', 'trouw/v1/store-a/gw-1/status', sale()],
    ['bad-envelope', saleTopic, sale({ specversion: '0.3' })],
    ['bad-envelope', saleTopic, sale({ id: 'not-a-ulid' })],
    ['topic-mismatch', saleTopic, sale({ source: '/stores/store-b/gw-1' })],
    ['topic-mismatch', saleTopic, sale({ type: 'trouw.sale.voided.v1' })],
    ['unknown-type', 'trouw/v1/store-a/gw-1/evt/trouw.thing.happened.v1', sale({ type: 'trouw.thing.happened.v1' })],
    ['bad-data', saleTopic, sale({}, { receipt: 'R1' })],
    ['bad-data', saleTopic, sale({}, { receipt: 'R1', pointsAwarded: 1, pan: '4111111111111111' })],
  ])('%s', (reason, topic, payload) => {
    const r = validateUplinkEvent(topic, payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });

  it('lets producers add fields without a new version', () => {
    expect(validateUplinkEvent(saleTopic, sale({}, { receipt: 'R1', pointsAwarded: 0, basketSize: 3 })).ok).toBe(true);
  });
});

describe('catalogue', () => {
  it("lists every producer's types, explicitly", () => {
    for (const t of [
      'sale.completed',
      'sale.refunded',
      'sale.voided',
      'points.adjusted',
      'card.tapped',
      'member.created',
      'config.rejected',
      'command.applied',
      'card.unlinked',
      'points.bonus',
      'offer.redeemed',
      'presence.visit-ended',
    ]) {
      expect(eventTypes()).toContain(`trouw.${t}.v1`);
    }
    expect(eventDefinition(SaleCompleted.type)).toBe(SaleCompleted);
  });

  it('a definition is a value: defining one registers nothing, and a type listed twice is refused', () => {
    const extra = defineEvent({ type: 'trouw.test-only.happened.v1', summary: 'test', priority: 5, data: Type.Object({}) });
    expect(eventDefinition(extra.type)).toBeUndefined();
    expect(buildCatalogue([extra]).get(extra.type)?.priority).toBe(5);
    expect(() => buildCatalogue([extra, { ...extra }])).toThrow(/twice/);
    expect(() => defineEvent({ type: 'bad.type', summary: '', priority: 0, data: Type.Object({}) })).toThrow();
  });
});

describe('downlink schemas', () => {
  it('store config: version required, loyalty strict', () => {
    const good = parseStoreConfig({ version: 3, loyalty: { pointsPerEuro: 2 } });
    expect(good.ok && good.value.loyalty?.expiryMonths).toBe(12);
    expect(parseStoreConfig({ loyalty: {} }).ok).toBe(false);
    expect(parseStoreConfig({ version: 3, loyalty: { pointsPerEur: 2 } }).ok).toBe(false);
    expect(parseStoreConfig({ version: 3, surprise: 1 }).ok).toBe(false);
    expect(parseStoreConfig('nope').ok).toBe(false);
  });
  it('adjust-points: signed, non-zero, audited', () => {
    expect(check(AdjustPointsArgs, { member: 'M-1', points: -5, reason: 'goodwill', by: 'ops' }).ok).toBe(true);
    expect(check(AdjustPointsArgs, { member: 'M-1', points: 0, reason: 'x', by: 'ops' }).ok).toBe(false);
    expect(check(AdjustPointsArgs, { member: 'M-1', points: 5, reason: 'x' }).ok).toBe(false);
  });
});
