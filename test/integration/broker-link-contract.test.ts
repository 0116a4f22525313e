/**
 * The BrokerLink contract against the real stack: mqtt-link.ts (mqtt.js) on a throwaway
 * Debian mosquitto with the chain's ACL (test/support/mosquitto.ts). The peer is a plain
 * mqtt.js client as HQ (persistent session, QoS 1); "down" is the broker stopped (SIGTERM,
 * persistence kept) and "back" the broker started again on the same port.
 */
import mqtt from 'mqtt';
import { createMqttLink } from '../../sync/gateway/mqtt-link';
import { brokerLinkContract, waitFor } from '../support/broker-link-contract';
import { startMosquitto } from '../support/mosquitto';

let n = 0;
brokerLinkContract('mqtt.js on mosquitto', async () => {
  const m = await startMosquitto();
  const run = `${process.pid}-${++n}`;
  const outTopic = `trouw/v1/store-a/gw-${run}/evt/contract`;
  const inTopic = `trouw/v1/store-a/gw-${run}/cmd/contract`;
  const received: Array<{ topic: string; payload: string }> = [];
  const peer = mqtt.connect(m.url, {
    clientId: `hq-contract-${run}`,
    username: 'hq',
    password: m.users.hq,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 100,
  });
  peer.on('message', (topic, payload) => received.push({ topic, payload: payload.toString() }));
  await new Promise<void>((resolve, reject) => {
    peer.once('connect', () => resolve());
    peer.once('error', reject);
  });
  await peer.subscribeAsync(outTopic, { qos: 1 });
  const link = createMqttLink({
    url: m.url,
    clientId: `store-a-contract-${run}`,
    username: 'store-a',
    password: m.users['store-a']!,
    reconnectMinMs: 50,
    reconnectMaxMs: 300,
  });
  return {
    link,
    outTopic,
    inTopic,
    received: () => received,
    peerPublish: async (topic, payload) => {
      await peer.publishAsync(topic, payload, { qos: 1 });
    },
    takeDown: async () => {
      await m.stop();
      await waitFor(() => link.state !== 'up', 'the link sees the broker gone');
    },
    bringBack: () => m.start(),
    teardown: async () => {
      if (link.state !== 'stopped') await link.close();
      await peer.endAsync(true);
      await m.dispose();
    },
  };
});
