import { gatewayClientId, gatewayUsername, ingestClientId, type GatewayIdentity } from '../../sync/broker/mosquitto-setup';
import { startIngest } from '../../sync/hq/ingest';
import type { HqStore } from '../../sync/hq/store';
import type { Mosquitto } from './mosquitto';

/**
 * Credentials on a broker started with the product's setup (`startMosquitto({ setup })`): each
 * gateway logs in as its own identity with the client id bound to it, HQ's ingest with bound
 * connections, HQ's commands and configs as the control identity.
 */
export const gatewayCredentials = (m: Mosquitto, g: GatewayIdentity) => ({
  username: gatewayUsername(g),
  password: m.users[gatewayUsername(g)]!,
  clientId: gatewayClientId(g),
});

export const ingestCredentials = (m: Mosquitto, name = 'hq-ingest') => ({
  username: name,
  password: m.users[name]!,
  clientId: ingestClientId(name),
  boundIdentity: true,
});

export const controlCredentials = (m: Mosquitto, name = 'hq-control') => ({ username: name, password: m.users[name]! });

/** HQ's ingest on that setup, as the sync tests run it: group `hq`, quick reconnects. */
export const startTestIngest = (m: Mosquitto, store: HqStore) => startIngest({ url: m.url, store, ...ingestCredentials(m), group: 'hq', reconnectMinMs: 100 });
