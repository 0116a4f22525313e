/**
 * HQ → store: publish a store's config (retained, versioned) and send commands. Both are
 * validated here with the same schemas the gateway uses, so HQ never sends what the store
 * would refuse; the gateway checks again (it trusts nothing on the wire).
 */
import { ulid } from 'ulid';
import { err, ok, type Result } from '../../gateway/core/result';
import { HQ_SOURCE, makeCloudEvent } from '../envelope/cloudevent';
import { commandTopic, configTopic, type GatewayAddress } from '../envelope/topics';
import { check, describeProblems } from '../schemas/check';
import { CONFIG_EVENT_TYPE, commandEventType, commandSchemas, isCommandName, parseStoreConfig } from '../schemas/downlink';
import type { BrokerLink } from '../gateway/broker-link';

export interface Published {
  id: string;
  topic: string;
  version?: number;
}

/** Publishes `config` (a StoreConfig with `version`) as the retained cfg of one gateway. */
export async function publishStoreConfig(link: BrokerLink, to: GatewayAddress, config: unknown, now = Date.now()): Promise<Result<Published, string>> {
  const c = parseStoreConfig(config);
  if (!c.ok) return err(`config invalid: ${describeProblems(c.problems)}`);
  const id = ulid(now);
  const topic = configTopic(to);
  const payload = makeCloudEvent({ id, source: HQ_SOURCE, type: CONFIG_EVENT_TYPE, time: new Date(now).toISOString(), data: c.value });
  await link.publish(topic, JSON.stringify(payload), { retain: true });
  return ok({ id, topic, version: c.value.version });
}

/** Sends a command (QoS 1, queued by the broker while the store is offline). Reuse `id` to resend the same command. */
export async function sendCommand(
  link: BrokerLink,
  to: GatewayAddress,
  name: string,
  args: unknown,
  opts: { id?: string; now?: number } = {},
): Promise<Result<Published, string>> {
  if (!isCommandName(name)) return err(`unknown command ${name}; known: ${Object.keys(commandSchemas).join(', ')}`);
  const a = check(commandSchemas[name], args);
  if (!a.ok) return err(`arguments invalid: ${describeProblems(a.problems)}`);
  const now = opts.now ?? Date.now();
  const id = opts.id ?? ulid(now);
  const topic = commandTopic(to, name);
  const payload = makeCloudEvent({ id, source: HQ_SOURCE, type: commandEventType(name), time: new Date(now).toISOString(), data: a.value });
  await link.publish(topic, JSON.stringify(payload));
  return ok({ id, topic });
}

/** The version in the currently retained cfg, if any (read by subscribing; waits up to `waitMs`). */
export async function retainedConfigVersion(link: BrokerLink, to: GatewayAddress, waitMs = 1500): Promise<number | undefined> {
  const topic = configTopic(to);
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: number | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      resolve(v);
    };
    const t = setTimeout(() => finish(undefined), waitMs);
    link.setHandler((m) => {
      if (m.topic !== topic) return;
      try {
        const v = (JSON.parse(m.payload.toString('utf8')) as { data?: { version?: unknown } }).data?.version;
        finish(typeof v === 'number' ? v : undefined);
      } catch {
        finish(undefined);
      }
    });
    link.subscribe([topic]).catch(() => finish(undefined));
  });
}
