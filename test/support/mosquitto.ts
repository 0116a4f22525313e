/**
 * A throwaway Debian mosquitto 2 on a free loopback port, with password authentication and
 * the ACL a chain would use (docs/sync.md): a store's credentials (username = store id) may
 * publish only under trouw/v1/{store}/… and read only their own cfg and cmd; `hq` reads every
 * store's events and status and writes cfg and cmd. Persistence is on, so a stop/start keeps
 * sessions, queued messages and retained configs, as a production broker would.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { buildDynsec, buildMosquittoConf, usernamesOf, type BrokerSetupInput } from '../../sync/broker/mosquitto-setup';

export interface MosquittoOptions {
  /** username → password. Default: `hq` and stores `store-a`, `store-b`. */
  users?: Record<string, string>;
  /** Broker's Receive Maximum (max_inflight_messages). */
  maxInflight?: number;
  /**
   * The product's broker setup (sync/broker/mosquitto-setup.ts: dynamic security, one identity
   * per gateway, client ids bound) instead of the older acl_file above. Every username's
   * password is `{username}-secret` (in `users`).
   */
  setup?: BrokerSetupInput;
}

export interface Mosquitto {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly users: Record<string, string>;
  /** The running broker's process id (benchmarks read its CPU time); undefined while stopped. */
  readonly pid: number | undefined;
  /** Graceful stop (SIGTERM: persistence written). */
  stop(): Promise<void>;
  /** Start again on the same port with the same state. */
  start(): Promise<void>;
  /** Stop for good and remove the temporary directory. */
  dispose(): Promise<void>;
  log(): string;
}

export const DEFAULT_USERS = { hq: 'hq-secret', 'store-a': 'a-secret', 'store-b': 'b-secret' };

export const ACL = `
# HQ: every store's events and status; writes configs (and reads them back) and commands.
user hq
topic read trouw/v1/+/+/evt/#
topic read trouw/v1/+/+/status
topic readwrite trouw/v1/+/+/cfg
topic write trouw/v1/+/+/cmd/#
topic write trouw/v1/+/+/ack

# Stores: the username is the store id; each store only inside its own subtree.
pattern write trouw/v1/%u/+/evt/#
pattern readwrite trouw/v1/%u/+/status
pattern read trouw/v1/%u/+/cfg
pattern read trouw/v1/%u/+/cmd/#
pattern read trouw/v1/%u/+/ack
`;

/** The broker binary: on PATH, or Debian's /usr/sbin when PATH lacks it (non-root shells). */
export function mosquittoBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (dir && existsSync(join(dir, 'mosquitto'))) return join(dir, 'mosquitto');
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const logLines = (dir: string) => [
  `log_dest file ${join(dir, 'mosquitto.log')}`,
  'log_type error',
  'log_type warning',
  'log_type notice',
  'log_type information',
  // Running as root, mosquitto would switch to user "mosquitto", who cannot read this dir.
  `user ${userInfo().username}`,
];

export async function startMosquitto(o: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'trouw-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  let users: Record<string, string>;
  if (o.setup) {
    const names = usernamesOf(o.setup);
    users = Object.fromEntries([...names.gateways, ...names.ingest, ...names.control].map((u) => [u, `${u}-secret`]));
    const dynsecFile = join(dir, 'dynamic-security.json');
    writeFileSync(dynsecFile, JSON.stringify(buildDynsec(o.setup, users), null, 2));
    writeFileSync(
      conf,
      buildMosquittoConf({
        listener: { port, host: '127.0.0.1' },
        persistenceDir: dir,
        dynsecFile,
        maxInflight: o.maxInflight ?? 100,
        maxQueued: 0,
        autosaveSeconds: 1,
        extra: logLines(dir),
      }),
    );
  } else {
    users = o.users ?? DEFAULT_USERS;
    const passwd = join(dir, 'passwd');
    writeFileSync(passwd, '');
    for (const [u, p] of Object.entries(users)) execFileSync('mosquitto_passwd', ['-b', passwd, u, p]);
    writeFileSync(join(dir, 'acl'), ACL);
    writeFileSync(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous false',
        `password_file ${passwd}`,
        `acl_file ${join(dir, 'acl')}`,
        'persistence true',
        `persistence_location ${dir}/`,
        'autosave_interval 1',
        'persistent_client_expiration 14d',
        'max_queued_messages 0',
        `max_inflight_messages ${o.maxInflight ?? 100}`,
        ...logLines(dir),
        '',
      ].join('\n'),
    );
  }
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async () => {
    const bin = mosquittoBinary();
    if (!bin) throw new Error('mosquitto is not installed (apt-get install mosquitto mosquitto-clients)');
    const p = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr?.on('data', (d) => (stderr += String(d)));
    proc = p;
    exited = new Promise((resolve) => p.once('exit', () => resolve()));
    const early = exited.then(() => {
      throw new Error(`mosquitto exited at start: ${stderr}\n${readLog()}`);
    });
    await Promise.race([waitForPort(port), early]);
    early.catch(() => undefined);
  };

  const stopWith = async (signal: NodeJS.Signals) => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill(signal);
    const t = setTimeout(() => p.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
    proc = undefined;
  };

  const readLog = () => {
    const f = join(dir, 'mosquitto.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  };

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    users,
    get pid() {
      return proc?.pid;
    },
    stop: () => stopWith('SIGTERM'),
    start,
    async dispose() {
      await stopWith('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    log: readLog,
  };
}
