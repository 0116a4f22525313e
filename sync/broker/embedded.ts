/**
 * The zero-install demo broker: aedes in this process, MQTT 3.1.1 over TCP on loopback
 * (DESIGN.md §10: aedes has no MQTT 5 and no shared subscriptions; the links fall back to
 * 3.1.1 by themselves). In-memory persistence: sessions and retained messages last as long
 * as the process. Not for production: no TLS, no authentication unless `users` is given.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBrokerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** username → password; when set, anyone else is refused. */
  users?: Record<string, string>;
}

export interface EmbeddedBroker {
  readonly port: number;
  readonly url: string;
  /** Connected clients right now. */
  clients(): number;
  stop(): Promise<void>;
}

export async function startEmbeddedBroker(o: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const users = o.users;
  const broker = await Aedes.createBroker(
    users
      ? {
          authenticate: (_client, username, password, done) => {
            const ok = username !== undefined && Object.hasOwn(users, username) && password?.toString('utf8') === users[username];
            if (ok) return done(null, true);
            const e = Object.assign(new Error('bad username or password'), { returnCode: 4 as const });
            done(e, false);
          },
        }
      : {},
  );
  const server: Server = createServer(broker.handle);
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `mqtt://${host}:${port}`,
    clients: () => broker.connectedClients,
    stop: () =>
      (stopped ??= (async () => {
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}
