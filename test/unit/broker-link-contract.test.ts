/** The BrokerLink contract against the in-process fake (sync/gateway/fake-link.ts). */
import { createFakeLink } from '../../sync/gateway/fake-link';
import { brokerLinkContract } from '../support/broker-link-contract';

brokerLinkContract('fake link', async () => {
  const link = createFakeLink('connecting');
  link.hqAcks = false;
  const outTopic = 'trouw/v1/store-a/gw-1/evt/contract';
  const inTopic = 'trouw/v1/store-a/gw-1/cmd/contract';
  // The harness is the broker: it delivers one message at a time and redelivers one the
  // link did not take (its handler threw), as a broker does after the reconnect.
  let deliveries = Promise.resolve();
  const deliverUntilTaken = async (topic: string, payload: string) => {
    for (;;) {
      try {
        return await link.deliver(topic, payload);
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  setTimeout(() => link.setState('up'), 5);
  return {
    link,
    outTopic,
    inTopic,
    received: () => link.acked.filter((m) => m.topic === outTopic).map(({ topic, payload }) => ({ topic, payload })),
    peerPublish: async (topic, payload) => {
      deliveries = deliveries.then(() => deliverUntilTaken(topic, payload));
    },
    takeDown: async () => link.setState('down'),
    bringBack: async () => link.setState('up'),
    teardown: async () => {
      await deliveries;
      await link.close();
    },
  };
});
