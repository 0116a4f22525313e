import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { ulid } from 'ulid';
import { createDownlink, type CommandHandlers } from '../../sync/gateway/downlink';
import { createFakeLink } from '../../sync/gateway/fake-link';
import { ensureOutboxTable } from '../../sync/gateway/tables';
import { commandTopic, configTopic, eventTopic } from '../../sync/envelope/topics';
import { HQ_SOURCE, makeCloudEvent, storeSource } from '../../sync/envelope/cloudevent';
import { CONFIG_EVENT_TYPE, commandEventType, type StoreConfig } from '../../sync/schemas/downlink';
import { validateUplinkEvent } from '../../sync/schemas/validate-event';
import { err, ok } from '../../gateway/core/result';

const address = { store: 'store-a', gateway: 'gw-1' };
const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});

async function setup(overrides: Partial<CommandHandlers> = {}, onConfig?: (c: StoreConfig) => void) {
  const db = new Database(':memory:');
  dbs.push(db);
  ensureOutboxTable(db);
  db.exec('CREATE TABLE points (member TEXT, points INTEGER)');
  const applied: StoreConfig[] = [];
  const calls: string[] = [];
  const link = createFakeLink();
  const downlink = createDownlink({
    db,
    link,
    address,
    onConfig: onConfig ?? ((c) => void applied.push(c)),
    checkConfig: (c) => (c.loyalty?.promotions.some((p) => p.from > p.to) ? [{ path: '/loyalty/promotions', message: 'from after to' }] : []),
    commands: {
      'erase-member': (a, ctx) => {
        calls.push(`erase ${a.member} ${ctx.commandId}`);
        return ok({ purged: { presence: 2, tokens: 1, cards: 1 } });
      },
      'adjust-points': (a) => {
        calls.push(`adjust ${a.member} ${a.points}`);
        db.prepare('INSERT INTO points VALUES (?, ?)').run(a.member, a.points);
        return a.member === 'M-404' ? err({ code: 'unknown-member', message: 'no such member' }) : ok({});
      },
      ...overrides,
    },
  });
  // Events the downlink queued, as the publisher would send them.
  const events = () =>
    (db.prepare('SELECT id, type, time, data FROM outbox ORDER BY seq').all() as { id: string; type: string; time: string; data: string }[]).map((r) => {
      const payload = JSON.stringify(makeCloudEvent({ id: r.id, source: storeSource(address), type: r.type, time: r.time, data: JSON.parse(r.data) }));
      const v = validateUplinkEvent(eventTopic(address, r.type), payload);
      expect(v.ok, `${r.type} ${JSON.stringify(v)}`).toBe(true);
      return { type: r.type, data: JSON.parse(r.data) as Record<string, unknown> };
    });
  await downlink.start();
  return { db, link, downlink, applied, calls, events };
}

const cfg = (data: unknown, id = ulid()) =>
  JSON.stringify(makeCloudEvent({ id, source: HQ_SOURCE, type: CONFIG_EVENT_TYPE, time: new Date().toISOString(), data }));
const cmd = (name: string, data: unknown, id = ulid()) =>
  JSON.stringify(makeCloudEvent({ id, source: HQ_SOURCE, type: commandEventType(name), time: new Date().toISOString(), data }));

describe('downlink: config', () => {
  it('applies a newer valid config once, remembers it, and says so', async () => {
    const s = await setup();
    expect(s.link.subscriptions).toEqual(['trouw/v1/store-a/gw-1/cfg', 'trouw/v1/store-a/gw-1/cmd/+', 'trouw/v1/store-a/gw-1/ack']);
    const msg = cfg({ version: 2, loyalty: { pointsPerEuro: 3 } });
    await s.link.deliver(configTopic(address), msg, true);
    await s.link.deliver(configTopic(address), msg, true); // retained, redelivered on reconnect
    expect(s.applied).toHaveLength(1);
    expect(s.applied[0]!.loyalty?.pointsPerEuro).toBe(3);
    expect(s.downlink.runningConfig()?.version).toBe(2);
    expect(s.events()).toEqual([{ type: 'trouw.config.applied.v1', data: { version: 2, previousVersion: null } }]);
  });

  it.each([
    ['malformed', '{"version": 3', 'malformed'],
    ['not a CloudEvent', JSON.stringify({ version: 3 }), 'malformed'],
    ['schema', cfg({ version: 3, loyalty: { pointsPerEuro: -1 } }), 'invalid'],
    ['unknown key', cfg({ version: 3, loyalt: {} }), 'invalid'],
    ['cross-check', cfg({ version: 3, loyalty: { promotions: [{ id: 'p', from: '2025-02-01', to: '2025-01-01' }] } }), 'invalid'],
    ['older', cfg({ version: 1 }), 'older'],
    ['same version, other message', cfg({ version: 2 }), 'older'],
  ])('rejects a %s config, keeps the running one, reports it once', async (_name, payload, reason) => {
    const s = await setup();
    await s.downlink.handle({ topic: configTopic(address), payload: Buffer.from(cfg({ version: 2 })), retain: true });
    await s.link.deliver(configTopic(address), payload, true);
    await s.link.deliver(configTopic(address), payload, true);
    expect(s.applied.map((c) => c.version)).toEqual([2]);
    expect(s.downlink.runningConfig()?.version).toBe(2);
    const rejected = s.events().filter((e) => e.type === 'trouw.config.rejected.v1');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.data).toMatchObject({ reason, runningVersion: 2 });
  });

  it('a config the gateway fails to apply is rejected and not recorded', async () => {
    const s = await setup({}, () => {
      throw new Error('zone z9 has no scanner');
    });
    await s.link.deliver(configTopic(address), cfg({ version: 5 }));
    expect(s.downlink.runningConfig()).toBeUndefined();
    expect(s.events()).toMatchObject([{ type: 'trouw.config.rejected.v1', data: { reason: 'apply-failed', version: 5, runningVersion: null } }]);
  });

  it('keeps the sections in force for a restart: a section left out keeps the stored one; storedForm decides what is written', async () => {
    const db = new Database(':memory:');
    dbs.push(db);
    ensureOutboxTable(db);
    const link = createFakeLink();
    const downlink = createDownlink({
      db,
      link,
      address,
      onConfig: () => {},
      commands: { 'erase-member': () => ok({}), 'adjust-points': () => ok({}) },
      storedForm: (c) => (c.staff ? { ...c, staff: c.staff.map((x) => ({ ...x, token: 'hashed' })) } : c),
    });
    await downlink.start();
    await link.deliver(
      configTopic(address),
      cfg({ version: 2, issuedAt: '2026-01-05T09:00:00Z', loyalty: { pointsPerEuro: 3 }, zones: [{ id: 'A', label: 'Fresh' }] }),
    );
    await link.deliver(configTopic(address), cfg({ version: 3, zones: [{ id: 'B' }], staff: [{ token: 'secret-token-1', role: 'admin' }] }));
    const running = downlink.runningConfig()!;
    expect(running.version).toBe(3);
    expect(running.config).toEqual({
      version: 3,
      loyalty: expect.objectContaining({ pointsPerEuro: 3 }),
      zones: [{ id: 'B' }],
      staff: [{ token: 'hashed', role: 'admin' }],
    });
    expect(JSON.stringify(db.prepare('SELECT doc FROM sync_config_state').all())).not.toContain('secret-token-1');
  });
});

describe('downlink: commands', () => {
  it('applies a command once however often it is delivered', async () => {
    const s = await setup();
    const id = ulid();
    const m = cmd('erase-member', { member: 'M-7' }, id);
    for (let i = 0; i < 3; i++) await s.link.deliver(commandTopic(address, 'erase-member'), m);
    expect(s.calls).toEqual([`erase M-7 ${id}`]);
    expect(s.events()).toEqual([
      {
        type: 'trouw.command.applied.v1',
        data: { commandId: id, name: 'erase-member', outcome: 'applied', detail: { purged: { presence: 2, tokens: 1, cards: 1 } } },
      },
    ]);
    expect(s.downlink.stats()).toMatchObject({ commandsApplied: 1, commandsReplayed: 2 });
  });

  it('a refusal is recorded (a replay does nothing) and the handler writes commit with it', async () => {
    const s = await setup();
    const id = ulid();
    await s.link.deliver(commandTopic(address, 'adjust-points'), cmd('adjust-points', { member: 'M-404', points: 5, reason: 'x', by: 'ops' }, id));
    await s.downlink.handle({
      topic: commandTopic(address, 'adjust-points'),
      payload: Buffer.from(cmd('adjust-points', { member: 'M-404', points: 5, reason: 'x', by: 'ops' }, id)),
      retain: false,
    });
    expect(s.calls).toHaveLength(1);
    expect(s.events()).toMatchObject([{ data: { commandId: id, outcome: 'rejected', error: { code: 'unknown-member' } } }]);
  });

  it('bad arguments and unknown commands are refused with a reason', async () => {
    const s = await setup();
    await s.link.deliver(commandTopic(address, 'adjust-points'), cmd('adjust-points', { member: 'M-1', points: 0, reason: 'x', by: 'ops' }));
    await s.link.deliver(commandTopic(address, 'reboot'), cmd('reboot', {}));
    await s.link.deliver(commandTopic(address, 'erase-member'), '{not json');
    expect(s.calls).toEqual([]);
    expect(
      s.events().map((e) => [e.data.name, e.data.outcome ?? e.data.reason, (e.data.error as { code: string } | undefined)?.code ?? e.data.commandId]),
    ).toEqual([
      ['adjust-points', 'rejected', 'bad-request'],
      ['reboot', 'rejected', 'unknown-command'],
      // Not JSON: HQ hears it as trouw.command.rejected.v1 (no id could be read).
      ['erase-member', 'not-json', null],
    ]);
  });

  it('a handler fault rolls back its writes, is reported as failed, and may be retried', async () => {
    let fail = true;
    const s = await setup({
      'adjust-points': (a, ctx) => {
        ctx.db.prepare('INSERT INTO points VALUES (?, ?)').run(a.member, a.points);
        if (fail) throw new Error('disk I/O error');
        return ok({ balance: a.points });
      },
    });
    const id = ulid();
    const m = cmd('adjust-points', { member: 'M-1', points: 5, reason: 'goodwill', by: 'ops' }, id);
    await s.link.deliver(commandTopic(address, 'adjust-points'), m);
    expect(s.db.prepare('SELECT COUNT(*) AS n FROM points').get()).toEqual({ n: 0 });
    fail = false;
    await s.link.deliver(commandTopic(address, 'adjust-points'), m);
    await s.link.deliver(commandTopic(address, 'adjust-points'), m);
    expect(s.db.prepare('SELECT member, points FROM points').all()).toEqual([{ member: 'M-1', points: 5 }]);
    expect(s.events().map((e) => e.data.outcome)).toEqual(['failed', 'applied']);
  });
});
