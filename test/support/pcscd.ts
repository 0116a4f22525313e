/**
 * pcscd for integration tests (DESIGN.md §10): started in the foreground by the test, with
 * vsmartcard-vpcd's reader.conf making "Virtual PCD 00 00" (TCP 35963) and "Virtual PCD
 * 00 01" (35964) appear. Tests stop and restart it to play "the PC/SC service went away".
 * Needs root (pcscd creates /run/pcscd) and the Debian packages pcscd and vsmartcard-vpcd,
 * which scripts/test-all.sh installs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { probePcscd } from '../../gateway/adapters/nfc/pcscd-probe';

export const PCSCD_SOCKET = '/run/pcscd/pcscd.comm';
const PID_FILE = '/run/pcscd/pcscd.pid';
const VPCD_DRIVER_CONF = '/etc/reader.conf.d/vpcd';

export interface PcscdHandle {
  readonly socket: string;
  /** (Re)starts pcscd and waits until it answers and vpcd listens. */
  start(): Promise<void>;
  /** Stops pcscd and waits until its socket is gone. */
  stop(): Promise<void>;
  readonly running: boolean;
  /** stderr of the current pcscd, for failure messages. */
  output(): string;
}

function findPcscd(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = `${dir}/pcscd`;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Ports with a listening TCP socket, from /proc/net/tcp{,6} (no connection: a connect to vpcd would be a tap). */
export function listeningPorts(): Set<number> {
  const out = new Set<number>();
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') out.add(parseInt(cols[1]!.split(':').pop()!, 16));
    }
  }
  return out;
}

/**
 * Resolves when vpcd has let go of the last card on `port`: its end of the connection is
 * closed (no socket with that local port other than the listener). vpcd notices a removed
 * card at its next presence poll (~0.4 s); a card tapped before that would be seen as still
 * present by pcscd. Polls /proc/net/tcp rather than sleeping.
 */
export async function waitVpcdIdle(port: number, timeoutMs = 5000): Promise<void> {
  await waitFor(
    `vpcd on ${port} to drop the card`,
    () => {
      for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
        if (!existsSync(f)) continue;
        for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
          const cols = line.trim().split(/\s+/);
          if (cols.length < 4) continue;
          const local = parseInt(cols[1]!.split(':').pop()!, 16);
          if (local === port && cols[3] !== '0A') return false;
        }
      }
      return true;
    },
    timeoutMs,
    20,
  );
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function foreignPid(): number | undefined {
  if (!existsSync(PID_FILE)) return undefined;
  const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

/** Starts a pcscd owned by the calling test. Fails with a clear message when it cannot. */
export async function startPcscd(opts: { readyTimeoutMs?: number } = {}): Promise<PcscdHandle> {
  const bin = findPcscd();
  if (!bin) throw new Error('pcscd is not installed: apt-get install pcscd vsmartcard-vpcd (scripts/test-all.sh installs them)');
  if (!existsSync(VPCD_DRIVER_CONF)) throw new Error('vsmartcard-vpcd is not installed (no /etc/reader.conf.d/vpcd): apt-get install vsmartcard-vpcd');
  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  let child: ChildProcess | undefined;
  let stderr = '';
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  async function start() {
    if (child) return;
    // Another test run's pcscd (or the system's) owns /run/pcscd: wait a while for it to go.
    try {
      await waitFor('another pcscd to exit', () => foreignPid() === undefined, 30_000, 200);
    } catch {
      throw new Error(`another pcscd (pid ${foreignPid()}) is running; the card tests need their own: stop it (systemctl stop pcscd.socket pcscd)`);
    }
    stderr = '';
    const c = spawn(bin!, ['--foreground'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    c.once('exit', () => {
      if (child === c) child = undefined;
    });
    try {
      await waitFor(
        'pcscd to answer',
        async () => {
          if (!child) throw new Error(`pcscd exited at start${process.getuid?.() !== 0 ? ' (it needs root for /run/pcscd)' : ''}: ${stderr.trim()}`);
          return (await probePcscd(PCSCD_SOCKET, 500)).ok;
        },
        readyTimeoutMs,
      );
      await waitFor(
        'vpcd to listen on 35963 and 35964',
        () => {
          const ports = listeningPorts();
          return ports.has(35963) && ports.has(35964);
        },
        readyTimeoutMs,
      );
    } catch (e) {
      await stop();
      throw e;
    }
  }

  async function stop() {
    const c = child;
    if (!c) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
    child = undefined;
    await waitFor('pcscd socket to go', () => !existsSync(PCSCD_SOCKET) || foreignPid() === undefined, 5000);
  }

  await start();
  return {
    socket: PCSCD_SOCKET,
    start,
    async stop() {
      await stop();
    },
    get running() {
      return child !== undefined;
    },
    output: () => stderr,
  };
}
