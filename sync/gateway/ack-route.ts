/**
 * For a publisher running without a downlink (the standalone sync process, tests): takes the
 * link's message handler, hands HQ's acks for this gateway to the publisher and subscribes to
 * them. With a downlink, pass `onAck` to it instead (the link has one handler).
 */
import { ackTopic, type GatewayAddress } from '../envelope/topics';
import type { BrokerLink } from './broker-link';
import type { OutboxPublisher } from './publisher';

export async function routeAcks(link: BrokerLink, publisher: Pick<OutboxPublisher, 'acknowledge'>, address: GatewayAddress): Promise<void> {
  const topic = ackTopic(address);
  link.setHandler((m) => {
    if (m.topic === topic) publisher.acknowledge(m.payload);
  });
  await link.subscribe([topic]);
}
