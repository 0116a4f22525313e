/**
 * The broker setup's HQ ingest identities (sync/broker/mosquitto-setup.ts): one username per
 * ingest connection, each bound to the client id the ingest uses for it (startIngest's
 * `boundIdentity`), all with the identity's one password; collisions with a gateway's client
 * id are refused.
 */
import { describe, expect, it } from 'vitest';
import { buildDynsec, checkSetup, dynsecPassword, ingestClientId, ingestUsername } from '../../sync/broker/mosquitto-setup';

const gateways = [{ store: 'store-a', gateway: 'gw-1' }];

describe('broker setup: HQ ingest identities', () => {
  it('one bound client per connection, all with the identity’s password and the ingest role', () => {
    const doc = buildDynsec({ gateways, ingest: ['hq-ingest'], ingestConnections: 3 }, { 'store-a.gw-1': 'g', 'hq-ingest': 'secret', 'hq-control': 'c' }) as {
      clients: { username: string; clientid?: string; password: string; salt: string; roles: { rolename: string }[] }[];
    };
    const ingest = doc.clients.filter((c) => c.roles[0]!.rolename === 'hq-ingest');
    expect(ingest.map((c) => [c.username, c.clientid])).toEqual([
      ['hq-ingest', 'trouw-hq-ingest'],
      ['hq-ingest.c1', 'trouw-hq-ingest-c1'],
      ['hq-ingest.c2', 'trouw-hq-ingest-c2'],
    ]);
    for (const c of ingest) expect(c.password).toBe(dynsecPassword('secret', Buffer.from(c.salt, 'base64')).password);
    // The ingest's own naming of its connections (ingest.ts: `${clientId}-c${i}`) is what is bound.
    expect([0, 1, 2].map((i) => (i === 0 ? ingestClientId('hq-ingest') : `${ingestClientId('hq-ingest')}-c${i}`))).toEqual(ingest.map((c) => c.clientid));
    expect(ingestUsername('hq-ingest', 2)).toBe('hq-ingest.c2');
  });

  it('refuses a client id two identities would share, and a connection count out of range', () => {
    expect(checkSetup({ gateways: [{ store: 'hq', gateway: 'ingest' }], ingest: ['hq-ingest'] })).toEqual([
      'client id trouw-hq-ingest would be shared (rename an identity)',
    ]);
    expect(checkSetup({ gateways, ingest: ['x', 'x-c1'], ingestConnections: 2 })).toEqual(['client id trouw-x-c1 would be shared (rename an identity)']);
    expect(checkSetup({ gateways, ingestConnections: 0 })).toEqual(['ingestConnections: expected 1–64, got 0']);
  });
});
