/**
 * A pair of connected pseudo-terminals from socat, standing in for a serial cable:
 *   socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B
 * Killing socat is pulling the cable: both ends fail, and the links disappear. A new pair can
 * be started on the same link paths to plug it back in.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** Link paths of the two ends. */
  a: string;
  b: string;
  /** Stop socat (SIGTERM; 'SIGKILL' for a harder unplug) and remove the links. */
  close(signal?: NodeJS.Signals): Promise<void>;
}

export function requireSocat(): void {
  const probe = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'socat is required for the serial integration tests but was not found on PATH: ' +
        'install it (Debian: apt-get install socat; scripts/test-all.sh does this).',
    );
  }
}

/** A fresh temp dir for link paths; remove it with `rmSync(dir, { recursive: true })`. */
export function ptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'trouw-pty-'));
}

const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

/** Start socat; resolves once both links exist. Paths default to A and B in a new temp dir. */
export async function startSocat(opts: { a?: string; b?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  requireSocat();
  const dir = opts.a && opts.b ? null : ptyDir();
  const a = opts.a ?? join(dir!, 'A');
  const b = opts.b ?? join(dir!, 'B');
  for (const p of [a, b]) if (exists(p)) unlinkSync(p); // stale link from a killed pair
  const child: ChildProcess = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let dead = false;
  void exited.then(() => (dead = true));

  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  while (!(exists(a) && exists(b))) {
    if (dead) throw new Error(`socat exited before creating ${a} and ${b}: ${stderr.trim()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`socat did not create ${a} and ${b} in time: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }

  return {
    a,
    b,
    close: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (!dead) {
        child.kill(signal);
        await exited;
      }
      for (const p of [a, b]) if (exists(p)) unlinkSync(p);
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
