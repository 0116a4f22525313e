/**
 * The broker port (STYLE.md §1): what the publisher and the downlink need from an MQTT
 * connection. Implemented by `mqtt-link.ts` (mqtt.js, MQTT 5 or 3.1.1) and by
 * `fake-link.ts` (in-process, for unit tests). Contract:
 *
 * - One persistent session: a message published while the link is down waits (in the
 *   client's session store) and is sent when the link is back; its promise settles then.
 * - `publish` is QoS 1. It resolves on PUBACK. It rejects with `PublishRefused` when the
 *   broker answered with an MQTT 5 failure reason (not authorised, packet too large, ...):
 *   sending the same message again would fail the same way. Any other rejection (link closed
 *   for good) is transient. Over MQTT 3.1.1 a broker cannot refuse: an ACL denial is a PUBACK.
 * - A non-retained publish that the broker accepted but had no subscriber for (MQTT 5 reason
 *   0x10) rejects with `NoSubscribers`: nobody will ever get that copy, so it must be sent
 *   again later (HQ's subscription missing, e.g. after a broker lost it). A retained one
 *   resolves: the broker keeps it for the next subscriber.
 * - Inbound QoS 1 messages go to the one handler, one at a time, in order. The PUBACK is sent
 *   only after the handler's promise resolves, so a crash before that means the broker sends
 *   the message again. If the handler throws, the link drops the connection without the
 *   PUBACK and reconnects later (the broker redelivers): throw only when the message could
 *   not be taken in (storage down), never for a bad message.
 * - Subscriptions are QoS 1 and are restored on reconnect when the session was lost.
 */
import type { DeviceHealth } from '../../gateway/ports/health';

export interface InboundMessage {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export type LinkState = 'connecting' | 'up' | 'down' | 'stopped';

export type MessageHandler = (m: InboundMessage) => Promise<void> | void;

export class PublishRefused extends Error {
  readonly code = 'SYNC_PUBLISH_REFUSED';
  constructor(
    readonly reasonCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class NoSubscribers extends Error {
  readonly code = 'SYNC_NO_SUBSCRIBERS';
  constructor(readonly topic: string) {
    super(`no subscriber for ${topic}`);
  }
}

export interface BrokerLink {
  readonly state: LinkState;
  /** 5 or 4 (= 3.1.1) once connected. */
  readonly protocolVersion: 5 | 4 | undefined;
  /** The broker's Receive Maximum (MQTT 5), the most QoS 1 publishes it takes unacknowledged. */
  readonly serverReceiveMaximum: number | undefined;
  publish(topic: string, payload: Buffer | string, opts?: { retain?: boolean }): Promise<void>;
  subscribe(filters: string[]): Promise<void>;
  setHandler(handler: MessageHandler): void;
  /** Called on every state change; returns an unsubscribe function. */
  onState(listener: (state: LinkState) => void): () => void;
  health(): DeviceHealth;
  /** Graceful: publishes `offline` (gateway links), disconnects, settles nothing further. */
  close(): Promise<void>;
}
